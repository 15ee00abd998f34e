import type { MaintenanceStatus } from '../agent/maintenance-method.js';
import type { RouteStatus } from '../agent/protocol.js';

/** An environment's maintenance mode as status shows it, from what each host (and its edge) reports. */
export interface MaintenanceView {
  /** `on`: every host that answered is in maintenance; `partly`: some are; `off`: none. */
  state: 'on' | 'partly' | 'off';
  /** The newest of the hosts' specs (they are set together), without the bypass token. */
  current: MaintenanceStatus | null;
  /** Where it is on, and where it is off (hosts whose route was read); the edge's host as `edge <host>`. */
  on: string[];
  off: string[];
  /** Hosts that could not be asked (no agent, unreachable): nothing is known of them. */
  unknown: string[];
}

/** Pure: each entry is a host's name and its route for the environment (undefined: the host could not be read). */
export function deriveMaintenanceStatus(
  routes: ReadonlyArray<{ host: string; route: RouteStatus | null | undefined }>,
): MaintenanceView {
  const on: string[] = [];
  const off: string[] = [];
  const unknown: string[] = [];
  let current: MaintenanceStatus | null = null;
  for (const { host, route } of routes) {
    if (route === undefined) unknown.push(host);
    else if (route?.maintenance) {
      on.push(host);
      if (current === null || route.maintenance.sinceMs > current.sinceMs) current = route.maintenance;
    } else off.push(host);
  }
  const state = on.length === 0 ? 'off' : off.length === 0 ? 'on' : 'partly';
  return { state, current, on, off, unknown };
}
