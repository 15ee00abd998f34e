import type { Plan, Step, StepKind } from '../plan/steps.js';
import { describeStep } from '../plan/describe-step.js';
import { redact } from '../core/secret.js';
import type { ExecuteOptions } from './execute-plan.js';
import type { RecoveryStepOutcome } from './describe-batch-recovery.js';
import type { StepContext, StepResult } from './step-context.js';
import { formatStepNoteOutput } from './step-note.js';

// One step of a plan as the executor runs it: recorded in the store before and after, reported, its failure
// redacted and ledgered; a waiting step that an interrupt ends is left to do again on resume.

export interface RunState {
  options: ExecuteOptions;
  secretValues: string[];
  /** Aborted when the guard fails the deployment: handlers that wait (pause, analysis) stop at once. */
  cancel: AbortSignal;
  guardFailure: () => string | null;
  /** Rolling: hosts that failed; their later steps in the batch are skipped. */
  failedHosts: Set<string>;
  nextRecoveryIndex: { value: number };
  plan: Plan;
  /** Told the outcome of every step that ran (a batch's put-back reports what it really did). */
  recordOutcome?: (step: Step, outcome: RecoveryStepOutcome) => void;
}

/**
 * Steps that only wait (for a person, a time, or evidence): an interrupt (Ctrl-C, a server that stops) ends the
 * wait at once and leaves the step to do again on resume, instead of holding the interrupt up for hours. Every
 * other step finishes first, so that no host is left half-changed.
 */
export const WAITING_STEPS: ReadonlySet<StepKind> = new Set<StepKind>([
  'pause',
  'analyze',
  'await-approval',
  'await-window',
  'bake',
]);

/** What runStep answers for a waiting step that an interrupt ended. */
export const INTERRUPTED: unique symbol = Symbol('interrupted');

export async function skipStep(index: number, step: Step, run: RunState, reason: string): Promise<null> {
  await run.options.store.recordStep(run.plan.deploymentId, index, {
    status: 'skipped',
    finishedAtMs: run.options.stepContext.clock.nowMs(),
  });
  run.options.reporter.report({ kind: 'step-skipped', index, step, reason });
  return null;
}

export async function runStep(
  index: number,
  step: Step,
  plan: Plan,
  run: RunState,
): Promise<string | null | typeof INTERRUPTED> {
  const { options, secretValues } = run;
  const { store, reporter } = options;
  const clock = options.stepContext.clock;
  if (options.completed?.has(index)) {
    reporter.report({ kind: 'step-skipped', index, step, reason: 'done before the interruption' });
    return null;
  }
  const startedAtMs = clock.nowMs();
  await store.recordStep(plan.deploymentId, index, { status: 'running', startedAtMs });
  reporter.report({ kind: 'step-started', index, step });
  let result: StepResult;
  try {
    const handler = options.handlers[step.kind] as (s: Step, c: StepContext) => Promise<StepResult>;
    result = await handler(step, {
      ...options.stepContext,
      signal: stepSignal(step, run),
      note: async (detail) => {
        await store.recordStep(plan.deploymentId, index, {
          status: 'running',
          output: formatStepNoteOutput(detail),
        });
        reporter.report({ kind: 'step-note', index, step, detail });
      },
    });
  } catch (err) {
    if (WAITING_STEPS.has(step.kind) && options.signal?.aborted && !run.guardFailure()) {
      await store.recordStep(plan.deploymentId, index, { status: 'pending' });
      reporter.report({ kind: 'step-skipped', index, step, reason: 'interrupted; a resume waits again' });
      return INTERRUPTED;
    }
    const finishedAtMs = clock.nowMs();
    const message = redact(
      run.guardFailure() ?? (err instanceof Error ? err.message : String(err)),
      secretValues,
    );
    const hint = err instanceof Error && 'hint' in err && typeof err.hint === 'string' ? err.hint : undefined;
    const error = hint ? `${message}\nhint: ${hint}` : message;
    await store.recordStep(plan.deploymentId, index, { status: 'failed', finishedAtMs, error });
    await ledger(options, plan, 'step.failed', `${describeStep(step)} failed: ${message}`, { index });
    reporter.report({ kind: 'step-failed', index, step, durationMs: finishedAtMs - startedAtMs, error });
    return error;
  }
  const finishedAtMs = clock.nowMs();
  await store.recordStep(plan.deploymentId, index, {
    status: 'succeeded',
    finishedAtMs,
    output: result.output ?? null,
  });
  if (step.kind === 'switch-traffic' && result.output?.previous !== step.targetId) {
    await ledger(
      options,
      plan,
      'traffic.switched',
      `traffic of ${plan.app} on ${step.host} switched to ${step.release}`,
      {
        host: step.host,
        targetId: step.targetId,
        release: step.release,
        ...result.output,
      },
    );
  }
  reporter.report({
    kind: 'step-succeeded',
    index,
    step,
    durationMs: finishedAtMs - startedAtMs,
    ...(result.detail ? { detail: result.detail } : {}),
  });
  return null;
}

/** A guard's failure cancels any step; an interrupt cancels only a step that waits. */
function stepSignal(step: Step, run: RunState): AbortSignal {
  const interrupt = run.options.signal;
  return interrupt && WAITING_STEPS.has(step.kind) ? AbortSignal.any([run.cancel, interrupt]) : run.cancel;
}

export async function ledger(
  options: ExecuteOptions,
  plan: Plan,
  kind: string,
  message: string,
  data?: Record<string, unknown>,
): Promise<void> {
  await options.store.appendEvent({
    atMs: options.stepContext.clock.nowMs(),
    actor: options.actor,
    app: plan.app,
    environment: plan.environment,
    kind,
    deploymentId: plan.deploymentId,
    release: plan.release.version,
    message,
    ...(data ? { data } : {}),
  });
}
