import { InputError, NotFoundError } from '../../core/errors.js';
import type { MaintenanceSpec } from '../../router/maintenance.js';
import { maintenanceStatusOf, type SetMaintenanceMethod } from '../maintenance-method.js';
import type { RouteRecord } from './route-records.js';
import type { RouteStore } from './route-store.js';

/** A message longer than this is refused: it is a page, not a document. */
export const MAX_MAINTENANCE_MESSAGE_CHARS = 2_000;

/**
 * Turns maintenance mode of the route `key` on (or changes it) or off. Saved (durably) first, then applied to the
 * router: when the disk refuses, the route stays as it was and the call fails.
 */
export async function setRouteMaintenance(
  store: RouteStore,
  { key, maintenance }: SetMaintenanceMethod['params'],
): Promise<SetMaintenanceMethod['result']> {
  if (maintenance !== null) validateMaintenanceSpec(maintenance);
  const route = store.routes.get(key);
  if (route === undefined)
    throw new NotFoundError(`no route ${key} on this host: nothing is served here for it yet`, {
      hint: 'deploy there first: maintenance mode belongs to the route a deploy opens',
    });
  const router = store.listening(route);
  const previous = route.maintenance;
  route.maintenance = maintenance;
  try {
    await store.commit();
  } catch (err) {
    route.maintenance = previous;
    throw err;
  }
  router.setMaintenance(maintenance);
  store.log(
    maintenance === null
      ? `maintenance of ${key} off`
      : `maintenance of ${key} on (by ${maintenance.by}): ${maintenance.message}`,
  );
  return { key, previous: maintenanceStatusOf(previous), current: maintenanceStatusOf(maintenance) };
}

/** A saved route's maintenance applied again (a router process started anew). */
export function restoreMaintenance(route: RouteRecord, saved: MaintenanceSpec | undefined): void {
  if (saved === undefined) return;
  route.maintenance = saved;
  route.router?.setMaintenance(saved);
}

function validateMaintenanceSpec(spec: MaintenanceSpec): void {
  if (typeof spec.message !== 'string' || spec.message.length > MAX_MAINTENANCE_MESSAGE_CHARS)
    throw new InputError(
      `a maintenance message is text of at most ${MAX_MAINTENANCE_MESSAGE_CHARS} characters`,
    );
  if (!Number.isInteger(spec.retryAfterS) || spec.retryAfterS < 0)
    throw new InputError(`retryAfterS must be a whole number of seconds, not ${String(spec.retryAfterS)}`);
  if (spec.healthPath !== null && !spec.healthPath.startsWith('/'))
    throw new InputError(`a maintenance health path starts with /, not ${spec.healthPath}`);
}
