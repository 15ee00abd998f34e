import { parseRouteKey } from '../../core/route-key.js';
import type { RouteRecord } from './route-records.js';
import type { RouteStore } from './route-store.js';

/**
 * The route of the same app and kind (an edge, or not) on the same port and address, saved under another key: its
 * environment gained or dropped `domains` (`app` ⇄ `app@environment`, `edge:app` ⇄ `edge:app@environment`). Null
 * when `key` has its own already, or none is there. Pure.
 */
export function findRouteToRekey(
  routes: ReadonlyMap<string, RouteRecord>,
  key: string,
  publicPort: number,
  bindAddress: string,
): RouteRecord | null {
  if (routes.has(key)) return null;
  const wanted = parseRouteKey(key);
  for (const [other, route] of routes) {
    if ((route.edge !== null) !== wanted.edge || parseRouteKey(other).app !== wanted.app) continue;
    if (route.publicPort === publicPort && route.bindAddress === bindAddress) return route;
  }
  return null;
}

/**
 * Keeps `found` serving under `key` (its router stays open on the same port rather than being opened again beside
 * itself), saved. Its names were attached to the front door under the old key: taken off first (the caller's ensure
 * attaches them again when asked).
 */
export async function rekeyRoute(
  store: Pick<RouteStore, 'routes' | 'commit'>,
  detach: (key: string) => Promise<void>,
  found: RouteRecord,
  key: string,
): Promise<void> {
  if (found.frontDoor !== null) {
    await detach(found.app);
    found.frontDoor = null;
  }
  store.routes.delete(found.app);
  found.app = key;
  store.routes.set(key, found);
  await store.commit();
}
