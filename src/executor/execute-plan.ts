import type { Plan, Stage, Step } from '../plan/steps.js';
import { describeDeploymentSubject } from '../plan/describe-plan.js';
import { runBounded } from '../core/run-bounded.js';
import type { DeploymentOutcome, ProgressReporter } from './progress.js';
import type { Guard } from './guard.js';
import type { StepContext, StepHandlers } from './step-context.js';
import { INTERRUPTED, ledger, runStep, skipStep, type RunState } from './run-step.js';
import { describeBatchRecovery, type RecoveryStepOutcome } from './describe-batch-recovery.js';

/** The part of the store the executor writes to (the store implements it). */
export interface ExecutorStore {
  recordStep(
    deploymentId: string,
    index: number,
    patch: {
      status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
      startedAtMs?: number;
      finishedAtMs?: number;
      error?: string | null;
      output?: unknown;
    },
  ): Promise<void>;
  appendEvent(e: {
    atMs: number;
    actor: string;
    app: string;
    environment: string | null;
    kind: string;
    deploymentId?: string | null;
    release?: string | null;
    message: string;
    data?: unknown;
  }): Promise<number>;
  finishDeployment(
    id: string,
    result: { outcome: DeploymentOutcome; finishedAtMs: number; error?: string | null },
  ): Promise<void>;
}

export interface ExecuteOptions {
  store: ExecutorStore;
  handlers: StepHandlers;
  /** What every handler gets; the executor adds each step's abort signal. */
  stepContext: Omit<StepContext, 'signal' | 'note'>;
  reporter: ProgressReporter;
  actor: string;
  /** Steps (by index) that already succeeded in an earlier run of this deployment: a resume skips them. */
  completed?: ReadonlySet<number>;
  /** Aborting stops before the next step and leaves the deployment resumable (as a crash would). */
  signal?: AbortSignal;
  /** How many hosts a stage works on at once. */
  concurrency?: number;
  /** Watches the stages and may fail the deployment (canary analysis, abort requests). */
  guard?: Guard;
}

export interface ExecutionResult {
  outcome: DeploymentOutcome | 'interrupted';
  error?: string;
}

/** Index of the first on-failure step: steps of the plan proper are numbered from 0, on-failure ones from here. */
export const ON_FAILURE_BASE_INDEX = 1000;

interface NumberedStage {
  name: string;
  batch?: number;
  keepOnFailure?: boolean;
  steps: Array<{ index: number; step: Step }>;
}

export function numberStages(stages: Stage[], base = 0): NumberedStage[] {
  let index = base;
  return stages.map((stage) => ({
    name: stage.name,
    ...(stage.batch !== undefined ? { batch: stage.batch } : {}),
    ...(stage.keepOnFailure ? { keepOnFailure: true } : {}),
    steps: stage.steps.map((step) => ({ index: index++, step })),
  }));
}

/**
 * Runs a plan: stage after stage, the steps of a stage in parallel (bounded), each recorded in the store before
 * and after it runs. A failed step stops the plan and runs its on-failure stages, so that users stay on what
 * served before. Reads like the deployment it performs.
 */
export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<ExecutionResult> {
  const started = options.stepContext.clock.nowMs();
  const secretValues = [...options.stepContext.secrets.values()].map((s) => s.reveal());
  const resumed = (options.completed?.size ?? 0) > 0;
  await ledger(
    options,
    plan,
    `${plan.kind}.${resumed ? 'resumed' : 'started'}`,
    `${describeDeploymentSubject(plan.kind, plan.release.version, plan.environment)} ${resumed ? 'resumed' : 'started'}`,
  );

  // A guard's failure cancels the step in progress (a pause, an analysis wait) and fails the deployment.
  const cancel = new AbortController();
  let guardFailure: string | null = null;
  options.guard?.start((reason) => {
    guardFailure ??= reason;
    cancel.abort(new Error(reason));
  });
  const run: RunState = {
    options,
    secretValues,
    cancel: cancel.signal,
    guardFailure: () => guardFailure,
    failedHosts: new Set(),
    nextRecoveryIndex: { value: RECOVERY_BASE_INDEX },
    plan,
  };
  const failure = await runStages(numberStages(plan.stages), 'deploy', plan, run).finally(() =>
    options.guard?.stop(),
  );
  const finish = async (
    outcome: DeploymentOutcome | 'interrupted',
    error?: string,
  ): Promise<ExecutionResult> => {
    const durationMs = options.stepContext.clock.nowMs() - started;
    if (outcome !== 'interrupted') {
      await options.store.finishDeployment(plan.deploymentId, {
        outcome,
        finishedAtMs: options.stepContext.clock.nowMs(),
        error: error ?? null,
      });
      await ledger(
        options,
        plan,
        `${plan.kind}.${outcome}`,
        `${describeDeploymentSubject(plan.kind, plan.release.version, plan.environment)} ${outcome}${error ? `: ${error}` : ''}`,
        { durationMs },
      );
    }
    options.reporter.report({ kind: 'finished', outcome, durationMs, ...(error ? { error } : {}) });
    return { outcome, ...(error ? { error } : {}) };
  };

  if (failure === 'interrupted') return finish('interrupted');
  if (!failure) return finish('succeeded');
  // A failed verification with `onFailure: keep` leaves the new release serving for inspection.
  if (failure.keep) return finish('failed', failure.error);

  const recoverRun: RunState = {
    ...run,
    cancel: new AbortController().signal,
    guardFailure: () => null,
    failedHosts: new Set(),
  };
  if (failure.batch !== undefined && plan.batches) {
    // A rolling update stops at the failed batch; hosts of earlier batches keep the new release.
    const policy = plan.batches;
    if (policy.onBatchFailure === 'stop')
      return finish(
        'failed',
        `batch ${failure.batch} failed and was left as it is (onBatchFailure: stop); once the cause is fixed, "slipway deploy ${plan.environment} --resume" goes on from there: ${failure.error}`,
      );
    const putBack = policy.recover[failure.batch] ?? [];
    const outcomes = new Map<Step, RecoveryStepOutcome>();
    const recovered = await runStages(renumber(putBack, run), 'on-failure', plan, {
      ...recoverRun,
      recordOutcome: (step, outcome) => outcomes.set(step, outcome),
    });
    if (recovered === 'interrupted') return finish('interrupted', failure.error);
    return finish(
      'failed',
      describeBatchRecovery({
        batch: failure.batch,
        hosts: hostsOfBatch(plan, failure.batch),
        edge: plan.stages.some(
          (s) => s.batch === failure.batch && s.steps.some((step) => step.kind === 'set-edge-member'),
        ),
        steps: putBack
          .flatMap((stage) => stage.steps)
          .map((step) => ({ step, outcome: outcomes.get(step) ?? { status: 'not-tried' } })),
        error: failure.error,
      }),
    );
  }
  const recovery = await runStages(
    numberStages(plan.onFailure, ON_FAILURE_BASE_INDEX),
    'on-failure',
    plan,
    recoverRun,
  );
  if (recovery === 'interrupted') return finish('interrupted', failure.error);
  const restored = recovery === null && plan.onFailure.length > 0;
  return finish(restored ? 'rolled-back' : 'failed', failure.error);
}

/** Recovery steps run for one host or batch are numbered from here on. */
export const RECOVERY_BASE_INDEX = 2000;

async function runStages(
  stages: NumberedStage[],
  phase: 'deploy' | 'on-failure',
  plan: Plan,
  run: RunState,
): Promise<{ error: string; batch?: number; keep?: boolean } | 'interrupted' | null> {
  const { options } = run;
  for (const stage of stages) {
    const guardFailure = run.guardFailure();
    if (guardFailure) return { error: guardFailure };
    if (options.signal?.aborted) return 'interrupted';
    if (phase === 'deploy') options.guard?.onStage(stage.name);
    options.reporter.report({ kind: 'stage-started', stage: stage.name, phase });
    const errors = await runBounded(stage.steps, options.concurrency ?? 8, (numbered) =>
      stage.batch !== undefined && run.failedHosts.has(memberOf(numbered.step))
        ? skipStep(numbered.index, numbered.step, run, 'its host failed earlier in this batch')
        : runStep(numbered.index, numbered.step, plan, run),
    );
    stage.steps.forEach(({ step }, i) => {
      const error = errors[i];
      if (error === null) run.recordOutcome?.(step, { status: 'succeeded' });
      else if (typeof error === 'string') run.recordOutcome?.(step, { status: 'failed', error });
    });
    if (errors.includes(INTERRUPTED)) return 'interrupted';
    const failed = stage.steps.filter((_, i) => typeof errors[i] === 'string');
    const firstError = errors.find((e): e is string => typeof e === 'string');
    if (firstError === undefined) continue;
    if (stage.batch === undefined || !plan.batches || phase !== 'deploy' || run.guardFailure()) {
      return {
        error: run.guardFailure() ?? firstError,
        ...(stage.batch !== undefined ? { batch: stage.batch } : {}),
        ...(stage.keepOnFailure ? { keep: true } : {}),
      };
    }
    // Rolling: hosts that fail within the failure budget go back to their old release on their own.
    for (const { step } of failed) run.failedHosts.add(memberOf(step));
    if (run.failedHosts.size > plan.batches.failureBudget) return { error: firstError, batch: stage.batch };
    const hosts = new Set(failed.map(({ step }) => memberOf(step)));
    await ledger(
      options,
      plan,
      'host.failed',
      `${[...hosts].join(', ')} failed within the failure budget (${run.failedHosts.size} of ${plan.batches.failureBudget}): ${firstError}`,
      { hosts: [...hosts] },
    );
    const recover = (plan.batches.recover[stage.batch] ?? []).map((s) => ({
      ...s,
      steps: s.steps.filter((step) => hosts.has(memberOf(step))),
    }));
    const recovery = await runStages(renumber(recover, run), 'on-failure', plan, {
      ...run,
      failedHosts: new Set(),
    });
    if (recovery === 'interrupted') return 'interrupted';
  }
  return null;
}

/** The app hosts of a batch, in plan order. */
function hostsOfBatch(plan: Plan, batch: number): string[] {
  const steps = plan.stages.filter((s) => s.batch === batch).flatMap((s) => s.steps);
  return [...new Set(steps.map(memberOf))];
}

/** The app host a step is about: its own host, or the member an edge step takes out or puts back. */
function memberOf(step: Step): string {
  return step.kind === 'set-edge-member' ? step.member : step.host;
}

/** Recovery stages get fresh step numbers (above every planned one) each time they run. */
function renumber(stages: Stage[], run: RunState): NumberedStage[] {
  return stages.map((stage) => ({
    name: stage.name,
    steps: stage.steps.map((step) => ({ index: run.nextRecoveryIndex.value++, step })),
  }));
}
