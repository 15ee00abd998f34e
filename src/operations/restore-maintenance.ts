import type { ControlPlane } from '../control-plane/control-plane.js';
import { environmentConfig } from '../config/environment-config.js';
import { SlipwayError } from '../core/errors.js';
import { planMaintenanceTargets, setMaintenance, where, type MaintenanceTarget } from './maintenance.js';

export const RESTORE_MAINTENANCE_MESSAGE = 'We are restoring data and will be back shortly.';
const RESTORE_RETRY_AFTER = '1m';

/**
 * Runs `fn` (a database restore) with the environment in maintenance mode: turned on first on each route where it
 * is off, and off again on those afterwards, also when `fn` fails; a route that was in maintenance already stays so
 * (the operator's). A host that does not serve the environment yet (no route) has nothing to hold back. When a
 * route cannot be put in maintenance, `fn` does not run (the routes turned on are turned off again).
 */
export async function withRestoreMaintenance<T>(
  cp: ControlPlane,
  environment: string,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  const env = environmentConfig(cp.config, environment);
  const targets = await routesToHold(cp, planMaintenanceTargets(cp.config.app, environment, env));
  if (targets.length === 0) return fn();
  const reason = `around the ${what}`;
  const turnedOn = await setMaintenance(
    cp,
    environment,
    { on: true, message: RESTORE_MAINTENANCE_MESSAGE, retryAfter: RESTORE_RETRY_AFTER },
    { targets, reason },
  );
  const on = turnedOn.hosts.filter((h) => h.ok);
  const failed = turnedOn.hosts.flatMap((h) => (h.ok ? [] : [`${where(h)}: ${h.error}`]));
  const turnOff = () => setMaintenance(cp, environment, { on: false }, { targets: on, reason });
  if (failed.length > 0) {
    if (on.length > 0) await turnOff();
    throw new SlipwayError(
      `maintenance mode could not be turned on (${failed.join('; ')}); nothing was restored`,
      {
        hint: `fix the host, or restore without maintenance mode: --no-maintenance`,
      },
    );
  }
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await turnOff().catch(() => undefined); // the restore's error is the one to report
    throw err;
  }
  const off = await turnOff();
  const left = off.hosts.filter((h) => !h.ok).map(where);
  if (left.length > 0)
    throw new SlipwayError(`the ${what} succeeded, but maintenance mode is still on at ${left.join(', ')}`, {
      hint: `slipway maintenance off ${environment}`,
    });
  return result;
}

/** The routes to put in maintenance: those that exist and are not in maintenance already. */
async function routesToHold(cp: ControlPlane, targets: MaintenanceTarget[]): Promise<MaintenanceTarget[]> {
  const held: MaintenanceTarget[] = [];
  const unreadable: string[] = [];
  for (const t of targets) {
    try {
      const host = cp.hosts.get(t.host);
      if (host === undefined) throw new Error(`host ${t.host} is not configured`);
      const route = (await (await host.agent()).call('state', {})).routes.find((r) => r.app === t.key);
      if (route !== undefined && !route.maintenance) held.push(t);
    } catch (err) {
      unreadable.push(`${where(t)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (unreadable.length > 0)
    throw new SlipwayError(`cannot tell whether users reach ${unreadable.join('; ')}; nothing was restored`, {
      hint: 'fix the host, or restore without maintenance mode: --no-maintenance',
    });
  return held;
}
