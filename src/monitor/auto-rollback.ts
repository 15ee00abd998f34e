import { parseDurationMs } from '../core/duration.js';
import { SlipwayError } from '../core/errors.js';
import { runDeployment } from '../executor/run-deployment.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { silentReporter } from '../executor/progress.js';
import { chooseRollbackTarget, servingRelease } from '../executor/rollback-target.js';
import type { DeploymentRecord } from '../store/index.js';

/** The deployment that made the current release serve, when it was a deploy (a rollback is never undone here). */
export async function findServingDeploy(
  cp: ControlPlane,
  environment: string,
): Promise<DeploymentRecord | null> {
  const [last] = (await cp.store.listDeployments({ app: cp.config.app, environment, limit: 20 })).filter(
    (d) => d.outcome === 'succeeded',
  );
  return last ?? null;
}

/** Is the release young: served for less than `youngFor` since its deploy finished? Pure. */
export function isYoung(deploy: DeploymentRecord | null, youngForMs: number, nowMs: number): boolean {
  if (!deploy || deploy.kind !== 'deploy') return false;
  const since = deploy.finishedAtMs ?? deploy.createdAtMs;
  return nowMs - since < youngForMs;
}

export type RollbackOutcome =
  | { kind: 'skipped'; reason: string }
  | { kind: 'rolled-back'; from: string; to: string; outcome: string; error: string | null }
  | { kind: 'failed'; from: string; to: string | null; error: string };

/**
 * Rolls an environment back to the release that served before the young one, as `slipway rollback` would
 * (a switch while the old target is warm). Returns what happened; never throws (the monitor goes on).
 */
export async function rollbackYoungRelease(
  cp: ControlPlane,
  environment: string,
  youngFor: string,
  reason: string,
): Promise<RollbackOutcome> {
  const deploy = await findServingDeploy(cp, environment);
  if (!isYoung(deploy, parseDurationMs(youngFor) ?? 0, cp.clock.nowMs()) || !deploy)
    return {
      kind: 'skipped',
      reason: `the serving release is not young (deployed more than ${youngFor} ago)`,
    };
  const from = deploy.releaseVersion;
  let to: string | null = null;
  try {
    const { result } = await runDeployment(
      cp,
      {
        environment,
        kind: 'rollback',
        // Chosen as `slipway rollback` chooses, from what the hosts serve under the deployment's lock.
        version: async (observed) => {
          const serving = servingRelease(observed);
          if (serving !== from)
            throw new SlipwayError(
              `${from} no longer serves ${environment} (${serving ?? 'nothing'} does); nothing rolled back`,
            );
          to = await chooseRollbackTarget(cp, environment, observed);
          return to;
        },
        reason,
      },
      { reporter: silentReporter },
    );
    return { kind: 'rolled-back', from, to: to ?? '', outcome: result.outcome, error: result.error ?? null };
  } catch (err) {
    return { kind: 'failed', from, to, error: err instanceof Error ? err.message : String(err) };
  }
}
