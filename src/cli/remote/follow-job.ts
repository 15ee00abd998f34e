import { SlipwayError } from '../../core/errors.js';
import type { ProgressReporter } from '../../executor/progress.js';
import type { Plan } from '../../plan/steps.js';
import type { DeploymentDetailView, DeploymentView, JobRecord, ServerEvent } from '../../server/api-types.js';
import type { ApiClient } from './api-client.js';
import { catalogueSteps, StepProgress, type StepUpdate } from './step-progress.js';

export interface FollowOptions {
  reporter: ProgressReporter;
  /** Aborted by Ctrl-C: stop following (the server goes on). */
  signal: AbortSignal;
  /** The deployment's plan is known (printed as a local deploy prints it). */
  onPlan?: (plan: Plan) => void;
  /** The job waits for another deployment of its environment, or another replica took it over. */
  onJobNote?: (note: string) => void;
}

export type FollowResult =
  | { kind: 'finished'; job: JobRecord | null; deployment: DeploymentView | null }
  | { kind: 'detached'; job: JobRecord | null; deploymentId: string | null };

/** How often the job is read besides its events (a safety net; events carry every change). */
const JOB_POLL_MS = 5_000;

/**
 * Follows a job (and the deployment it runs) until both have finished: the state is read when the event stream
 * opens (and again after a reconnect), then kept up to date from `job`, `step` and `deployment` events. Step
 * states become the local progress events, so the same renderer draws a remote deploy. Start from a job id, or
 * from a deployment id alone (`slipway follow`, where the job is not known).
 */
export async function followJob(
  client: ApiClient,
  start: { jobId: string | null; deploymentId: string | null },
  options: FollowOptions,
): Promise<FollowResult> {
  // Read and written by the closures below as events arrive.
  const state: {
    job: JobRecord | null;
    deploymentId: string | null;
    deployment: DeploymentView | null;
    progress: StepProgress | null;
    waitNoted: boolean;
  } = { job: null, deploymentId: start.deploymentId, deployment: null, progress: null, waitNoted: false };
  const startedMs = Date.now();

  const report = (updates: readonly StepUpdate[]): void => {
    if (!state.progress) return;
    for (const event of state.progress.apply(updates)) options.reporter.report(event);
  };
  const readDeployment = async (): Promise<void> => {
    if (!state.deploymentId) return;
    const detail = await client.get<DeploymentDetailView>(
      `/deployments/${encodeURIComponent(state.deploymentId)}`,
    );
    if (!detail.plan) {
      throw new SlipwayError('the server does not send the deployment plan with GET /deployments/:id', {
        hint: 'the server is older than this CLI; follow the deployment in the dashboard or with `status`',
      });
    }
    const known = catalogueSteps(detail.plan, detail.steps);
    if (!state.progress) {
      state.progress = new StepProgress(known);
      options.onPlan?.(detail.plan);
    } else state.progress.setKnown(known);
    report(detail.steps);
    state.deployment = detail.deployment;
  };
  const onJob = async (next: JobRecord): Promise<void> => {
    const before = state.job;
    if (before && next.takeovers > before.takeovers) {
      options.onJobNote?.(
        `replica ${next.owner ?? '?'} took the job over from ${before.owner ?? '?'} and goes on`,
      );
    }
    state.job = next;
    if (!state.deploymentId && next.deploymentId) {
      state.deploymentId = next.deploymentId;
      await readDeployment();
    }
    await noteWaiting();
  };
  const readAll = async (): Promise<void> => {
    if (start.jobId) await onJob(await client.get<JobRecord>(`/jobs/${encodeURIComponent(start.jobId)}`));
    await readDeployment();
  };
  // A deploy job waits in the queue while another deployment holds its environment: say which, once.
  const noteWaiting = async (): Promise<void> => {
    const { job } = state;
    if (state.waitNoted || job?.state !== 'queued' || job.environment === null) return;
    state.waitNoted = true;
    const [latest] = await client.get<DeploymentView[]>('/deployments', {
      environment: job.environment,
      limit: 1,
    });
    if (latest && latest.outcome === null && latest.id !== state.deploymentId) {
      options.onJobNote?.(
        `deployment ${latest.id} (${latest.kind} of ${latest.release} by ${latest.createdBy}, ${latest.phase}) holds ${job.environment}: this job waits for its turn`,
      );
    }
  };
  const done = (): boolean => {
    const { job, deployment } = state;
    const deploymentDone = state.deploymentId === null || deployment?.outcome != null;
    const jobDone = start.jobId === null || job?.state === 'succeeded' || job?.state === 'failed';
    // A job that failed before its deployment ended (the server stopped it, or it failed before planning).
    return jobDone && (deploymentDone || job?.state === 'failed');
  };

  // The stream's events, the reads on (re)open and the safety poll below take turns on the state.
  let turn: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = turn.then(fn);
    turn = next.catch(() => undefined);
    return next;
  };
  const onEvent = async (event: ServerEvent): Promise<void> => {
    if (event.kind === 'job' && event.job.id === start.jobId) await onJob(event.job);
    else if (event.kind === 'step' && event.deploymentId === state.deploymentId) {
      if (state.progress?.isKnown(event.index)) report([event]);
      else await readDeployment();
    } else if (event.kind === 'deployment' && event.deployment.id === state.deploymentId) {
      // The last steps' states may come after; the detail has them all.
      if (event.deployment.outcome !== null) await readDeployment();
      else state.deployment = event.deployment;
    }
  };

  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  // A job event missed between two polls of the server (it sends each job's state as it changes) would leave
  // the wait without an end: the job is read again now and then, too.
  const poll = setInterval(() => {
    if (!start.jobId) return;
    void exclusive(async () => {
      await onJob(await client.get<JobRecord>(`/jobs/${encodeURIComponent(start.jobId ?? '')}`));
      if (done()) stop.abort();
    }).catch(() => undefined);
  }, JOB_POLL_MS);
  try {
    // Everything may have ended before the stream opened; then no event would end the wait.
    const onOpen = (): Promise<void> =>
      exclusive(async () => {
        await readAll();
        if (done()) stop.abort();
      });
    for await (const message of client.events({ signal, onOpen })) {
      const event = parseServerEvent(message.event, message.data);
      if (event) await exclusive(() => onEvent(event));
      if (done()) break;
    }
  } finally {
    clearInterval(poll);
    stop.abort();
    // Also when detaching or failing: the live view stops redrawing before anything else is printed.
    if (state.progress)
      options.reporter.report({
        kind: 'finished',
        outcome: state.deployment?.outcome ?? 'interrupted',
        durationMs: Date.now() - startedMs,
        ...(state.deployment?.error ? { error: state.deployment.error } : {}),
      });
  }
  if (options.signal.aborted) return { kind: 'detached', job: state.job, deploymentId: state.deploymentId };
  const final = state.deployment;
  return { kind: 'finished', job: state.job, deployment: final };
}

const SERVER_EVENT_KINDS = new Set<ServerEvent['kind']>(['ledger', 'step', 'deployment', 'job']);

/** An SSE message as a ServerEvent (event name = kind, data = JSON); anything else is skipped. */
export function parseServerEvent(name: string, data: string): ServerEvent | null {
  if (!SERVER_EVENT_KINDS.has(name as ServerEvent['kind'])) return null;
  try {
    const value = JSON.parse(data) as ServerEvent;
    return value.kind === name ? value : null;
  } catch {
    return null;
  }
}
