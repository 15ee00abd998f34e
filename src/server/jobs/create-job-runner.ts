import { hostname } from 'node:os';
import type { Clock } from '../../core/clock.js';
import { environmentConfig } from '../../config/environment-config.js';
import { isLockStale } from '../../executor/deploy-lock.js';
import { actingAs } from '../../control-plane/control-plane.js';
import type { Project } from '../../control-plane/open-project.js';
import type { LockRecord, ReplicaRecord } from '../../store/index.js';
import type { JobRecord, JobRequest, JobRunner } from './job-runner.js';
import { runJob, type JobEnd } from './run-job.js';
import { isDeadReplicaLock } from './dead-replica-lock.js';
import { isJobOrphaned, selectClaimableJobs } from './select-jobs.js';

export interface JobRunnerDeps {
  /** The server's project (config, store, hosts), opened once. */
  project: Project;
  /** This replica's id (unique among the replicas sharing the store). */
  replicaId: string;
  clock: Clock;
  /** How often the worker looks for queued and orphaned jobs. */
  pollIntervalMs: number;
  /** How often this replica heartbeats its row and its running jobs. */
  heartbeatIntervalMs: number;
  /** A running job whose owner has not heartbeated for this long is taken over. */
  takeoverAfterMs: number;
  /** The ControlPlane acting for a person (the ledger records them); default: the project with that actor. */
  controlPlaneFor?: (actor: string) => Project;
  /** The server's log (errors of the worker loop, takeovers); default: stderr. */
  log?: (line: string) => void;
  /**
   * How long stop() waits for running jobs to reach a resumable point (a step runs to its end; one that waits
   * for an approval or a promotion does not end soon). Jobs still running then are left to be taken over.
   */
  stopTimeoutMs?: number;
  /** Process identity of this replica, as environment locks record it (default: this process). */
  pid?: number;
  hostname?: string;
}

interface ActiveJob {
  controller: AbortController;
  done: Promise<void>;
}

/** The heartbeat a stopping replica leaves on a job it interrupted: any other replica takes it over at once. */
const HANDED_OVER = 0;

const DEFAULT_STOP_TIMEOUT_MS = 30_000;

/** How many queued or running jobs one look at the queue considers. */
const SCAN_LIMIT = 200;

/**
 * The server's job runner: jobs are rows in the store; this replica claims queued ones (one compare-and-swap
 * each), runs them with the requester's ControlPlane, heartbeats them, and takes over the jobs of replicas that
 * stopped heartbeating. See docs/server.md, "Replicas and jobs".
 */
export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  const { project, replicaId: me, clock } = deps;
  const store = project.store;
  const app = project.config.app;
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const controlPlaneFor = deps.controlPlaneFor ?? ((actor: string) => actingAs(project, actor));
  const identity = { pid: deps.pid ?? process.pid, hostname: deps.hostname ?? hostname() };
  const active = new Map<string, ActiveJob>();
  const startedAtMs = clock.nowMs();
  let running = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> = Promise.resolve();
  let beating: Promise<void> = Promise.resolve();

  async function heartbeat(): Promise<void> {
    const atMs = clock.nowMs();
    await store.heartbeatReplica({ id: me, ...identity, startedAtMs, heartbeatAtMs: atMs });
    for (const [id, job] of active) {
      // A job we no longer own was taken over by a replica that thought us dead: stop running it.
      if (!(await store.heartbeatServerJob(id, me, atMs))) {
        log(`job ${id}: another replica owns it now; stopping it here`);
        job.controller.abort();
      }
    }
  }

  async function tick(): Promise<void> {
    await takeOverOrphans();
    if (running) await claimQueued();
  }

  async function claimQueued(): Promise<void> {
    const queued = await store.listServerJobs({ app, state: 'queued', limit: SCAN_LIMIT, oldestFirst: true });
    if (queued.length === 0) return;
    const inFlight = await store.listServerJobs({ app, state: 'running', limit: SCAN_LIMIT });
    for (const job of selectClaimableJobs(queued, inFlight)) {
      if (!running) return;
      // A deploy from the CLI (outside the server) holds the lock: the job waits its turn in the queue.
      if (job.environment !== null) {
        const lock = await store.getLock(app, job.environment);
        if (lock && !isLockStale(lock)) continue;
      }
      if (await store.claimServerJob(job.id, me, clock.nowMs())) launch({ ...job, owner: me }, undefined);
    }
  }

  async function takeOverOrphans(): Promise<void> {
    const inFlight = await store.listServerJobs({ app, state: 'running', limit: SCAN_LIMIT });
    for (const job of inFlight) {
      if (!running) return;
      if (active.has(job.id) || !isJobOrphaned(job, clock.nowMs(), deps.takeoverAfterMs)) continue;
      const dead = await store.getReplica(job.owner);
      const seen = { id: job.id, owner: job.owner, heartbeatAtMs: job.heartbeatAtMs };
      const takeover = { owner: me, atMs: clock.nowMs(), takeoverAfterMs: deps.takeoverAfterMs };
      if (!(await store.takeOverServerJob(seen, takeover))) continue; // another replica won, or it woke up
      await recordTakeover(job).catch((error: unknown) =>
        log(`job ${job.id}: the ledger did not take its takeover: ${String(error)}`),
      );
      log(`job ${job.id}: taken over from replica ${job.owner}`);
      launch({ ...job, owner: me, takeovers: job.takeovers + 1 }, { dead, deploymentId: job.deploymentId });
    }
  }

  /** The ledger tells who took which job over from whom, before the events of its resumed deployment. */
  async function recordTakeover(job: JobRecord & { owner: string; heartbeatAtMs: number }): Promise<void> {
    const why =
      job.heartbeatAtMs === HANDED_OVER
        ? 'which handed it over when it stopped'
        : `silent since ${new Date(job.heartbeatAtMs).toISOString()}`;
    await store.appendEvent({
      atMs: clock.nowMs(),
      actor: `replica:${me}`,
      app,
      environment: job.environment,
      kind: 'job.taken-over',
      ...(job.deploymentId ? { deploymentId: job.deploymentId } : {}),
      message: `replica ${me} took over job ${job.id} (${job.kind}${job.environment ? ` of ${job.environment}` : ''}) from replica ${job.owner}, ${why}${job.deploymentId ? `; its deployment: ${job.deploymentId}` : ''}`,
      data: { job: job.id, from: job.owner, to: me, deploymentId: job.deploymentId },
    });
  }

  function launch(
    job: JobRecord,
    takeover: { dead: ReplicaRecord | undefined; deploymentId: string | null } | undefined,
  ): void {
    const controller = new AbortController();
    const entry: ActiveJob = { controller, done: Promise.resolve() };
    active.set(job.id, entry);
    entry.done = execute(job, controller, takeover)
      .catch((error: unknown) =>
        log(`job ${job.id}: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => active.delete(job.id));
  }

  async function execute(
    job: JobRecord,
    controller: AbortController,
    takeover: { dead: ReplicaRecord | undefined; deploymentId: string | null } | undefined,
  ): Promise<void> {
    let recording: Promise<unknown> | undefined;
    const end = await runJob(job, {
      project: controlPlaneFor(job.requestedBy),
      signal: controller.signal,
      // The first plan is the job's deployment (later ones are automatic promotions to further environments).
      onPlan: (plan) => {
        recording ??= store.recordServerJobDeployment(job.id, me, plan.deploymentId);
      },
      ...(takeover
        ? {
            takeover: { deploymentId: takeover.deploymentId },
            isLockStale: (lock: LockRecord) => isDeadReplicaLock(lock, takeover.dead, takeover.deploymentId),
          }
        : {}),
    });
    await recording;
    await settle(job, end);
  }

  async function settle(job: JobRecord, end: JobEnd): Promise<void> {
    switch (end.kind) {
      case 'finished':
        await store.finishServerJob(job.id, me, {
          state: end.state,
          finishedAtMs: clock.nowMs(),
          error: end.error,
          ...(end.release !== undefined ? { release: end.release } : {}),
        });
        return;
      case 'requeue':
        await store.requeueServerJob(job.id, me);
        return;
      case 'interrupted':
        // Stopped at a resumable point: another replica (or this one's next start) takes it over at once.
        await store.heartbeatServerJob(job.id, me, HANDED_OVER);
        return;
    }
  }

  function schedule(): void {
    pollTimer = setTimeout(() => {
      ticking = tick()
        .catch((error: unknown) =>
          log(`job worker: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => {
          if (running) schedule();
        });
    }, deps.pollIntervalMs);
  }

  function scheduleHeartbeat(): void {
    heartbeatTimer = setTimeout(() => {
      beating = heartbeat()
        .catch((error: unknown) =>
          log(`heartbeat: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => {
          if (running || active.size > 0) scheduleHeartbeat();
        });
    }, deps.heartbeatIntervalMs);
  }

  return {
    async enqueue(request: JobRequest) {
      if (request.environment !== null) environmentConfig(project.config, request.environment);
      const job = {
        id: `j${clock.nowMs().toString(36)}${project.randomSuffix()}`,
        app,
        kind: request.kind,
        environment: request.environment,
        payload: request.payload,
        requestedBy: request.requestedBy,
        createdAtMs: clock.nowMs(),
      };
      await store.insertServerJob(job);
      const stored = await store.getServerJob(job.id);
      if (!stored) throw new Error(`job ${job.id} was not stored`);
      return stored;
    },
    get: (id) => store.getServerJob(id),
    list: (query) =>
      store.listServerJobs({
        app,
        limit: query.limit,
        ...(query.environment !== undefined ? { environment: query.environment } : {}),
      }),
    start() {
      if (running) return;
      running = true;
      beating = heartbeat().catch((error: unknown) =>
        log(`heartbeat: ${error instanceof Error ? error.message : String(error)}`),
      );
      scheduleHeartbeat();
      schedule();
    },
    async stop() {
      running = false;
      clearTimeout(pollTimer);
      await ticking;
      for (const job of active.values()) job.controller.abort();
      // Heartbeats go on until the jobs reached a resumable point, so nobody takes them over meanwhile.
      let waited: NodeJS.Timeout | undefined;
      const settled = await Promise.race([
        Promise.all([...active.values()].map((j) => j.done)).then(() => true),
        new Promise<boolean>((resolve) => {
          waited = setTimeout(() => resolve(false), deps.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(waited);
      if (!settled) {
        log(`stopping with ${active.size} job(s) still running: another replica takes them over`);
        active.clear();
      }
      clearTimeout(heartbeatTimer);
      await beating;
      await store.stopReplica(me, clock.nowMs());
    },
  };
}
