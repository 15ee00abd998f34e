import type { TargetRecord } from '../../runtime/target-record.js';
import { DEFAULT_EDGE_DRAIN_MS, type RoutePort, type RoutesState } from './route-table.js';

/** The routes an agent that served them itself (before the router process, or run alone) kept in its state. */
export interface LegacyRoutes {
  routes?: Array<{
    app: string;
    publicPort: number;
    bindAddress: string;
    /** A target id: the agent knows where it listens. */
    active: string | null;
  }>;
  edges?: Array<Omit<RoutesState['edges'][number], 'frontDoor'>>;
}

/**
 * Hands the routes an older agent saved in its own state to the router process, once: only while the router has
 * none of its own (a router that serves anything already knows better). Targets are given by address.
 */
export async function moveLegacyRoutes(
  saved: LegacyRoutes,
  routes: RoutePort,
  target: (id: string) => TargetRecord | undefined,
): Promise<void> {
  if (!saved.routes?.length && !saved.edges?.length) return;
  if ((await routes.routes({})).routes.length > 0) return;
  for (const route of saved.routes ?? []) {
    await routes.ensureRoute(route);
    const active = route.active ? target(route.active) : undefined;
    if (active) await routes.switchRoute({ app: route.app, target: addressOf(active), drainTimeoutMs: 0 });
  }
  for (const { upstreams, ...edge } of saved.edges ?? []) {
    await routes.ensureEdge({ ...edge, upstreams, drainTimeoutMs: DEFAULT_EDGE_DRAIN_MS });
    for (const u of upstreams.filter((m) => !m.enabled)) {
      await routes.setEdgeMember({ app: edge.app, id: u.id, enabled: false, drainTimeoutMs: 0 });
    }
  }
}

/** Where the router reaches a target. */
export function addressOf(target: TargetRecord): { id: string; release: string; port: number } {
  return { id: target.spec.id, release: target.spec.release, port: target.port };
}
