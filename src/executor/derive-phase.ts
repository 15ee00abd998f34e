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
