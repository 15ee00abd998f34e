import type { Plan } from '../plan/steps.js';
import type { DeploymentRecord, StepRecord } from '../store/index.js';

export type DeploymentPhase = 'running' | 'interrupted' | 'succeeded' | 'failed' | 'rolled-back' | 'aborted';

/**
 * The phase of a deployment, derived (never stored twice): its outcome once finished; while unfinished,
 * running if the lock holder still lives, otherwise interrupted (resumable).
 */
export function derivePhase(deployment: DeploymentRecord, holderAlive: boolean): DeploymentPhase {
  if (deployment.outcome) return deployment.outcome;
  return holderAlive ? 'running' : 'interrupted';
}

/** Which steps of the plan proper already succeeded: a resume skips them. */
export function deriveCompletedSteps(steps: readonly StepRecord[], onFailureBase: number): Set<number> {
  return new Set(
    steps.filter((s) => s.status === 'succeeded' && s.index < onFailureBase).map((s) => s.index),
  );
}

/**
 * Whether `deploy --resume` may continue a deployment: one that was interrupted, or one that failed without
 * undoing anything. A rolling update with `onBatchFailure: stop` leaves its failed batch as it is, so it stays
 * resumable even when hosts were put back within the failure budget earlier (the recovery steps numbered from
 * `recoveryBase`): their steps run again. Anything else put back (the on-failure stages, a batch rolled back by
 * `rollback-batch`) ended it: deploy again instead.
 */
export function deriveResumable(
  deployment: Pick<DeploymentRecord, 'outcome' | 'plan'>,
  steps: ReadonlyArray<Pick<StepRecord, 'index'>>,
  bases: { onFailure: number; recovery: number },
): boolean {
  if (deployment.outcome === null) return true;
  if (deployment.outcome !== 'failed') return false;
  const stops = (deployment.plan as Partial<Plan> | null)?.batches?.onBatchFailure === 'stop';
  return !steps.some((s) => s.index >= bases.onFailure && !(stops && s.index >= bases.recovery));
}
