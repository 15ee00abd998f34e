import { LockHeldError } from '../../core/errors.js';
import { silentReporter } from '../../executor/progress.js';
import type { RunOptions } from '../../executor/run-deployment.js';
import type { Plan } from '../../plan/steps.js';
import type { Outcome } from '../../pipeline/run-pipeline.js';
import { probeEnvironment } from '../../monitor/probe-environment.js';
import type { Project } from '../../control-plane/open-project.js';
import { resolveReleaseVersion } from '../../control-plane/resolve-release-version.js';
import { deployThroughGates, resumeThroughPipeline, type OperationHooks } from '../../operations/deploy.js';
import { createProjectRelease } from '../../operations/release.js';
import { rollbackEnvironment } from '../../operations/rollback.js';
import type { LockRecord } from '../../store/index.js';
import type {
  DeployJobPayload,
  JobKind,
  JobRecord,
  ReleaseJobPayload,
  RollbackJobPayload,
} from './job-runner.js';

/** How a job ended on this replica. */
export type JobEnd =
  | { kind: 'finished'; state: 'succeeded' | 'failed'; error: string | null; release?: string }
  | { kind: 'requeue'; reason: string }
  /** Stopped at a resumable point (the server stops, or another replica took the job): not finished. */
  | { kind: 'interrupted' };

export interface JobRun {
  /** The ControlPlane of the job's requester (the ledger records them as the actor). */
  project: Project;
  signal: AbortSignal;
  /** Called with each plan (the first one is the job's deployment). */
  onPlan(plan: Plan): void;
  /** Locks of a dead replica this run may take over (set when the job was taken over). */
  isLockStale?: (lock: LockRecord) => boolean;
  /**
   * Set when this replica took the job over: a deployment that exists and did not finish is resumed from the
   * ledger; one that finished gives the job its outcome; none (not created yet) starts the job over.
   */
  takeover?: { deploymentId: string | null };
}

type Handler = (job: JobRecord, run: JobRun) => Promise<JobEnd>;

const handlers: { [K in JobKind]: Handler } = {
  deploy: (job, run) =>
    continueOr(job, run, async () => {
      const payload = job.payload as DeployJobPayload;
      const environment = requireEnvironment(job);
      const version = await resolveReleaseVersion(run.project, payload.release);
      const outcomes = await deployThroughGates(
        run.project,
        {
          environment,
          version,
          notBeforeMs: null,
          overrideFreeze: null,
          ...(payload.reason ? { reason: payload.reason } : {}),
        },
        hooksOf(run),
      );
      return endOf(outcomes, run, environment);
    }),
  rollback: (job, run) =>
    continueOr(job, run, async () => {
      const payload = job.payload as RollbackJobPayload;
      const environment = requireEnvironment(job);
      const outcome = await rollbackEnvironment(
        run.project,
        {
          environment,
          ...(payload.to ? { to: payload.to } : {}),
          ...(payload.reason ? { reason: payload.reason } : {}),
        },
        hooksOf(run),
      );
      return endOf([outcome], run, environment);
    }),
  resume: (job, run) =>
    continueOr(job, run, async () => {
      const environment = requireEnvironment(job);
      return endOf(await resumeThroughPipeline(run.project, environment, hooksOf(run)), run, environment);
    }),
  release: async (job, run) => {
    const payload = job.payload as ReleaseJobPayload;
    const { release } = await createProjectRelease(run.project, {
      ...(payload.version ? { version: payload.version } : {}),
    });
    return { kind: 'finished', state: 'succeeded', error: null, release: release.version };
  },
};

/**
 * Runs one claimed job to its end on this replica: what the CLI verb runs, silently. An error is the job's
 * failure, except a held environment lock before anything was planned: the job waits its turn.
 */
export async function runJob(job: JobRecord, run: JobRun): Promise<JobEnd> {
  let planned = false;
  const tracked: JobRun = {
    ...run,
    onPlan: (plan) => {
      planned = true;
      run.onPlan(plan);
    },
  };
  try {
    return await handlers[job.kind](job, tracked);
  } catch (error) {
    if (error instanceof LockHeldError && !planned) return { kind: 'requeue', reason: error.message };
    return {
      kind: 'finished',
      state: 'failed',
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

/** A taken-over job continues its deployment where the dead replica left it, else starts over. */
async function continueOr(job: JobRecord, run: JobRun, startOver: () => Promise<JobEnd>): Promise<JobEnd> {
  const deploymentId = run.takeover?.deploymentId ?? null;
  if (deploymentId === null) return startOver();
  const deployment = await run.project.store.getDeployment(deploymentId);
  if (!deployment) return startOver(); // planned, but the replica died before it recorded the deployment
  if (deployment.outcome === 'succeeded') return { kind: 'finished', state: 'succeeded', error: null };
  if (deployment.outcome !== null) {
    return {
      kind: 'finished',
      state: 'failed',
      error: deployment.error ?? `deployment ${deployment.id} ended ${deployment.outcome}`,
    };
  }
  const environment = requireEnvironment(job);
  return endOf(await resumeThroughPipeline(run.project, environment, hooksOf(run)), run, environment);
}

function hooksOf(run: JobRun): OperationHooks {
  const options: RunOptions = {
    reporter: silentReporter,
    signal: run.signal,
    onPlan: (plan) => run.onPlan(plan),
    ...(run.isLockStale ? { isLockStale: run.isLockStale } : {}),
  };
  return { run: (_verb, deployment) => deployment(options) };
}

/** Every deployment of the job (the first, then automatic promotions) must succeed. */
async function endOf(outcomes: Outcome[], run: JobRun, environment: string): Promise<JobEnd> {
  if (outcomes.some((o) => o.result.outcome === 'interrupted')) return { kind: 'interrupted' };
  const failed = outcomes.find((o) => o.result.outcome !== 'succeeded');
  if (failed) {
    return {
      kind: 'finished',
      state: 'failed',
      error:
        failed.result.error ??
        `${failed.plan.kind} ${failed.plan.deploymentId} of ${failed.plan.release.version} to ${failed.plan.environment} ended ${failed.result.outcome}`,
    };
  }
  // As after `slipway deploy`: one probe of the public address (samples and the access incident, no output).
  // The deployment succeeded whatever the probe finds; a probe that cannot even be recorded does not undo that.
  await probeEnvironment(run.project, environment, async (e) => {
    await run.project.store.appendEvent({
      atMs: run.project.clock.nowMs(),
      actor: run.project.actor,
      app: run.project.config.app,
      environment,
      ...e,
    });
  }).catch(() => undefined);
  return { kind: 'finished', state: 'succeeded', error: null };
}

function requireEnvironment(job: JobRecord): string {
  if (job.environment === null) throw new Error(`job ${job.id} (${job.kind}) has no environment`);
  return job.environment;
}
