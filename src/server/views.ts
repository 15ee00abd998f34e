import { derivePhase } from '../executor/derive-phase.js';
import { ON_FAILURE_BASE_INDEX } from '../executor/execute-plan.js';
import { isLockStale } from '../executor/deploy-lock.js';
import { deriveStepNote } from '../executor/step-note.js';
import { titleStep } from '../plan/describe-step.js';
import type { Plan, Step } from '../plan/steps.js';
import type {
  DeploymentRecord,
  LockRecord,
  ReleaseMarkRecord,
  ReleaseRecord,
  StepRecord,
} from '../store/index.js';
import type { DeploymentView, ReleaseView, StepView } from './api-types.js';

/** Steps that wait on people or time: while one runs, the deployment's phase says what it waits for. */
const WAITING_PHASES: Partial<Record<Step['kind'], string>> = {
  'await-approval': 'waiting-for-approval',
  'await-window': 'scheduled',
  pause: 'paused',
  analyze: 'analyzing',
  bake: 'baking',
};

interface PlannedStep {
  index: number;
  stage: string;
  phase: 'deploy' | 'on-failure';
  step: Step;
}

/** The plan's steps with the indexes the executor records them under (on-failure stages from 1000). */
export function plannedSteps(plan: Plan): PlannedStep[] {
  const out: PlannedStep[] = [];
  let index = 0;
  for (const stage of plan.stages)
    for (const step of stage.steps) out.push({ index: index++, stage: stage.name, phase: 'deploy', step });
  index = ON_FAILURE_BASE_INDEX;
  for (const stage of plan.onFailure)
    for (const step of stage.steps)
      out.push({ index: index++, stage: stage.name, phase: 'on-failure', step });
  return out;
}

/**
 * The phase of a deployment: its outcome once finished; while unfinished, what a running step waits for, or
 * running / interrupted (whether the lock is still held for it by a live process).
 */
export function deriveDeploymentViewPhase(
  deployment: DeploymentRecord,
  steps: readonly StepRecord[],
  lock: LockRecord | undefined,
): string {
  const holderAlive = lock?.deploymentId === deployment.id && !isLockStale(lock);
  const phase = derivePhase(deployment, holderAlive);
  if (phase !== 'running') return phase;
  const planned = new Map(plannedSteps(deployment.plan as Plan).map((p) => [p.index, p.step.kind]));
  for (const s of steps) {
    if (s.status !== 'running') continue;
    const kind = planned.get(s.index);
    const waiting = kind ? WAITING_PHASES[kind] : undefined;
    if (waiting) return waiting;
  }
  return phase;
}

export function toDeploymentView(
  deployment: DeploymentRecord,
  steps: readonly StepRecord[],
  lock: LockRecord | undefined,
): DeploymentView {
  return {
    id: deployment.id,
    environment: deployment.environment,
    kind: deployment.kind,
    release: deployment.releaseVersion,
    previous: deployment.previousVersion,
    strategy: deployment.strategy,
    createdBy: deployment.createdBy,
    createdAtMs: deployment.createdAtMs,
    reason: deployment.reason,
    outcome: deployment.outcome,
    phase: deriveDeploymentViewPhase(deployment, steps, lock),
    finishedAtMs: deployment.finishedAtMs,
    error: deployment.error,
  };
}

/** Every planned step with its recorded state (pending when not reached); recovery steps of a rolling batch too. */
export function toStepViews(plan: Plan, steps: readonly StepRecord[]): StepView[] {
  const recorded = new Map(steps.map((s) => [s.index, s]));
  const planned = plannedSteps(plan);
  const known = new Set(planned.map((p) => p.index));
  const views: StepView[] = planned.map((p) => {
    const r = recorded.get(p.index);
    return {
      index: p.index,
      stage: p.stage,
      phase: p.phase,
      kind: p.step.kind,
      title: titleStep(p.step),
      host: p.step.host,
      status: r?.status ?? 'pending',
      startedAtMs: r?.startedAtMs ?? null,
      finishedAtMs: r?.finishedAtMs ?? null,
      error: r?.error ?? null,
      note: r ? runningNote(r) : null,
    };
  });
  // A rolling update's per-batch recovery is numbered after the on-failure stages; it is shown as recorded.
  for (const r of steps) {
    if (known.has(r.index)) continue;
    views.push({
      index: r.index,
      stage: 'recovery',
      phase: 'on-failure',
      kind: 'recovery',
      title: `recovery step ${r.index}`,
      host: '',
      status: r.status,
      startedAtMs: r.startedAtMs,
      finishedAtMs: r.finishedAtMs,
      error: r.error,
      note: runningNote(r),
    });
  }
  return views;
}

/** A step's note counts while it runs; a finished step's result says the rest. */
export function runningNote(r: StepRecord): string | null {
  return r.status === 'running' ? deriveStepNote(r.output) : null;
}

export function toReleaseView(release: ReleaseRecord, marks: readonly ReleaseMarkRecord[]): ReleaseView {
  return {
    version: release.version,
    sha256: release.sha256,
    sizeBytes: release.sizeBytes,
    createdBy: release.createdBy,
    createdAtMs: release.createdAtMs,
    source: release.source,
    goodIn: [...new Set(marks.filter((m) => m.version === release.version).map((m) => m.environment))].sort(),
  };
}
