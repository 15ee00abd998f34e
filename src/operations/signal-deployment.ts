import { ConflictError, SlipwayError } from '../core/errors.js';
import { requestSignal, type DeploymentSignalKind } from '../executor/deployment-signals.js';
import { isLockStale } from '../executor/deploy-lock.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { DeploymentRecord } from '../store/index.js';

/** The deployment running now in an environment (what `slipway promote <env>` signals). */
export async function findRunningDeployment(
  cp: ControlPlane,
  environment: string,
): Promise<DeploymentRecord> {
  const lock = await cp.store.getLock(cp.config.app, environment);
  const deployment = lock && !isLockStale(lock) ? await cp.store.getDeployment(lock.deploymentId) : undefined;
  if (!deployment || deployment.outcome !== null) {
    throw new SlipwayError(`no deployment is running in ${environment}`, {
      hint: `"slipway status ${environment}" shows what serves now`,
    });
  }
  return deployment;
}

/**
 * Asks an unfinished deployment to promote (end its pause) or abort, as a ledger event with the actor; the
 * process running it picks the signal up.
 */
export async function signalDeployment(
  cp: ControlPlane,
  deployment: DeploymentRecord,
  kind: DeploymentSignalKind,
  reason: string | undefined,
): Promise<void> {
  if (deployment.outcome !== null) {
    throw new ConflictError(`deployment ${deployment.id} already ended (${deployment.outcome})`);
  }
  await requestSignal(cp.store, cp.clock, {
    app: cp.config.app,
    environment: deployment.environment,
    deploymentId: deployment.id,
    release: deployment.releaseVersion,
    kind,
    actor: cp.actor,
    ...(reason ? { reason } : {}),
  });
}
