import { hostname } from 'node:os';
import { isProcessAlive } from '../agent/process-util.js';
import { isoAt } from '../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../core/errors.js';
import { environmentConfig } from '../config/environment-config.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { DeploymentRecord, LockRecord } from '../store/index.js';

export interface UnlockOutcome {
  /** The lock that was removed. */
  removed: LockRecord;
  /** Its deployment, when that never finished: `deploy --resume` continues it, a new deploy abandons it. */
  unfinished: DeploymentRecord | null;
}

/**
 * `slipway unlock <env> --reason …` (and `POST /environments/:env/unlock`): removes an environment's deploy lock
 * whose holder died where Slipway cannot see it — a CI runner or laptop that vanished mid-deploy. A holder on
 * this machine is checked (a dead one's lock would be taken over anyway; a live one's is refused); one on another
 * machine is the operator's word, given with a reason. Ledgered as `lock.removed` with the actor.
 */
export async function unlockEnvironment(
  cp: ControlPlane,
  environment: string,
  reason: string,
): Promise<UnlockOutcome> {
  environmentConfig(cp.config, environment);
  if (!reason.trim()) throw new InputError('an unlock needs a reason: --reason "…" (kept in the ledger)');
  const lock = await cp.store.getLock(cp.config.app, environment);
  if (!lock) {
    throw new NotFoundError(`environment ${environment} is not locked: there is no lock to remove`, {
      hint: `"slipway status ${environment}" shows its lock`,
    });
  }
  refuseLiveHolder(lock, hostname());
  if (!(await cp.store.removeLock(lock))) {
    throw new ConflictError(`the lock of ${environment} changed hands while it was being removed`, {
      hint: `"slipway status ${environment}" shows who holds it now`,
    });
  }
  await cp.store.appendEvent({
    atMs: cp.clock.nowMs(),
    actor: cp.actor,
    app: cp.config.app,
    environment,
    kind: 'lock.removed',
    deploymentId: lock.deploymentId,
    message: `lock of ${environment} removed: ${reason.trim()} (it was held by ${lock.holder}, pid ${lock.pid} on ${lock.hostname}, since ${isoAt(lock.acquiredAtMs)}, for deployment ${lock.deploymentId})`,
    data: { reason: reason.trim(), lock },
  });
  const deployment = await cp.store.getDeployment(lock.deploymentId);
  return { removed: lock, unfinished: deployment && deployment.outcome === null ? deployment : null };
}

/** A holder that runs on this machine is alive for sure: its deployment is not to be cut off by an unlock. */
function refuseLiveHolder(lock: LockRecord, thisHost: string): void {
  if (lock.hostname !== thisHost || !isProcessAlive(lock.pid)) return;
  throw new ConflictError(
    `the lock of ${lock.environment} is held by a running process on this machine: pid ${lock.pid} (${lock.holder}, deployment ${lock.deploymentId})`,
    {
      hint: `wait for that deployment, or stop it (Ctrl-C where it runs, or "slipway abort ${lock.environment}"); unlock is for a holder that died on another machine`,
    },
  );
}
