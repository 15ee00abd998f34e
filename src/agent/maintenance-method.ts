import type { MaintenanceSpec } from '../router/maintenance.js';

/**
 * `setMaintenance` (agent and router process): maintenance mode of the route `key` on, with this spec (or changed),
 * or off with null. Route state: saved on disk before it is acknowledged, kept across restarts of the agent and
 * the router process, untouched by switches and splits. Idempotent. Unknown to older agents and router processes.
 */
export interface SetMaintenanceMethod {
  params: { key: string; maintenance: MaintenanceSpec | null };
  result: { key: string; previous: MaintenanceStatus | null; current: MaintenanceStatus | null };
}

/** Maintenance mode as status shows it: the spec without its bypass token (a secret), only whether it has one. */
export interface MaintenanceStatus {
  message: string;
  retryAfterS: number;
  healthPath: string | null;
  sinceMs: number;
  by: string;
  bypass: boolean;
}

export function maintenanceStatusOf(spec: MaintenanceSpec | null): MaintenanceStatus | null {
  if (spec === null) return null;
  const { bypassToken, ...shown } = spec;
  return { ...shown, bypass: bypassToken !== null && bypassToken !== '' };
}
