import { SlipwayError } from '../core/errors.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { chooseRollbackRelease } from '../plan/choose-rollback.js';
import type { HostObservation } from '../plan/plan-deploy.js';

/** The release the hosts serve now (the first host that serves one), or null. */
export function servingRelease(observed: readonly HostObservation[]): string | null {
  return observed.find((o) => o.active)?.active?.release ?? null;
}

/**
 * The release a rollback of `environment` goes back to: `named`, or the one that served before the release the
 * hosts serve now, from the ledger's switches. The one chooser of `slipway rollback` and of the monitor's automatic
 * rollback, fed by the look at the hosts that the deployment makes under its lock.
 */
export async function chooseRollbackTarget(
  cp: Pick<ControlPlane, 'store' | 'config'>,
  environment: string,
  observed: readonly HostObservation[],
  named?: string,
): Promise<string> {
  const current = servingRelease(observed);
  const to = named ?? chooseRollbackRelease(await switchedReleases(cp, environment), current);
  if (!to)
    throw new SlipwayError(
      `there is no earlier release of ${cp.config.app} in ${environment} to roll back to`,
    );
  if (to === current)
    throw new SlipwayError(`${to} already serves ${environment}`, { hint: 'name another release with --to' });
  return to;
}

/** The releases traffic was switched to in `environment`, newest first. */
async function switchedReleases(cp: Pick<ControlPlane, 'store' | 'config'>, environment: string) {
  const switches = await cp.store.listEvents({
    app: cp.config.app,
    environment,
    kinds: ['traffic.switched'],
    limit: 200,
  });
  return switches.flatMap((e) => (e.release ? [e.release] : []));
}
