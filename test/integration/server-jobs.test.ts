import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProject, type Project } from '../../src/control-plane/open-project.js';
import { systemClock } from '../../src/core/clock.js';
import type { Plan } from '../../src/plan/steps.js';
import { createJobRunner } from '../../src/server/jobs/create-job-runner.js';
import type { JobRecord, JobRunner } from '../../src/server/jobs/job-runner.js';
import { createTestProject, expectOk, spawnCli, type TestProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';

// The server's job runner in one process, on a real SQLite store, with the real agent, router and targets of
// examples/hello: jobs build releases, deploy, roll back, fail with their deployment's error, and wait their turn.

async function waitForJob(runner: JobRunner, id: string): Promise<JobRecord> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const job = await runner.get(id);
    if (job && (job.state === 'succeeded' || job.state === 'failed')) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function servedRelease(url: string): Promise<string> {
  const answer = (await (await fetch(`${url}/api/version`)).json()) as { release: string };
  return answer.release;
}

describe('server jobs in one replica', () => {
  let project: TestProject;
  let cp: Project;
  let runner: JobRunner;
  const logged: string[] = [];

  /** The job's deployment once the health check of its new target is running. */
  async function healthCheckOf(jobId: string): Promise<string | undefined> {
    const id = (await cp.store.getServerJob(jobId))?.deploymentId;
    const deployment = id ? await cp.store.getDeployment(id) : undefined;
    if (!id || !deployment) return undefined;
    const steps = (deployment.plan as Plan).stages.flatMap((s) => s.steps);
    const waiting = (await cp.store.listSteps(id)).some(
      (s) => s.status === 'running' && steps[s.index]?.kind === 'wait-healthy',
    );
    return waiting ? id : undefined;
  }

  beforeAll(async () => {
    project = await createTestProject();
    cp = await openProject({ config: join(project.dir, 'slipway.yml') });
    runner = createJobRunner({
      project: cp,
      replicaId: 'replica-1',
      clock: systemClock,
      pollIntervalMs: 100,
      heartbeatIntervalMs: 500,
      takeoverAfterMs: 15_000,
      log: (line) => logged.push(line),
    });
    runner.start();
  }, 60_000);
  afterAll(async () => {
    await runner?.stop();
    await cp?.close();
    await project?.dispose();
  });

  it('builds a release and deploys it as the requester, recording the deployment on the job', async () => {
    const built = await runner.enqueue({
      kind: 'release',
      environment: null,
      payload: { version: '1.0.0' },
      requestedBy: 'ana',
    });
    expect(built).toMatchObject({ state: 'queued', owner: null, kind: 'release' });
    expect(await waitForJob(runner, built.id)).toMatchObject({
      state: 'succeeded',
      release: '1.0.0',
      owner: 'replica-1',
      error: null,
    });

    const job = await waitForJob(
      runner,
      (
        await runner.enqueue({
          kind: 'deploy',
          environment: 'production',
          payload: { release: '1.0.0', reason: 'first' },
          requestedBy: 'ana',
        })
      ).id,
    );

    expect(job).toMatchObject({ state: 'succeeded', error: null, takeovers: 0 });
    expect(job.deploymentId).not.toBeNull();
    const deployment = await cp.store.getDeployment(job.deploymentId ?? '');
    expect(deployment).toMatchObject({
      releaseVersion: '1.0.0',
      outcome: 'succeeded',
      createdBy: 'ana',
      reason: 'first',
    });
    expect(await servedRelease(project.url)).toBe('1.0.0');
    expect((await runner.list({ environment: 'production', limit: 10 })).map((j) => j.id)).toEqual([job.id]);
  });

  it('runs a deploy and a rollback of one environment one after the other, the rollback choosing as the CLI does', async () => {
    expect(
      await waitForJob(
        runner,
        (
          await runner.enqueue({
            kind: 'release',
            environment: null,
            payload: { version: '2.0.0' },
            requestedBy: 'ana',
          })
        ).id,
      ),
    ).toMatchObject({ state: 'succeeded', release: '2.0.0' });
    // No release named: the newest (2.0.0). Both are queued at once; the rollback waits for the deploy.
    const deploy = await runner.enqueue({
      kind: 'deploy',
      environment: 'production',
      payload: {},
      requestedBy: 'bob',
    });
    const rollback = await runner.enqueue({
      kind: 'rollback',
      environment: 'production',
      payload: { reason: 'too French' },
      requestedBy: 'bob',
    });

    const deployed = await waitForJob(runner, deploy.id);
    const rolledBack = await waitForJob(runner, rollback.id);

    expect(deployed.state).toBe('succeeded');
    expect(rolledBack).toMatchObject({ state: 'succeeded', error: null });
    expect(rolledBack.startedAtMs).toBeGreaterThanOrEqual(deployed.finishedAtMs ?? Infinity);
    expect(await cp.store.getDeployment(deployed.deploymentId ?? '')).toMatchObject({
      releaseVersion: '2.0.0',
    });
    expect(await cp.store.getDeployment(rolledBack.deploymentId ?? '')).toMatchObject({
      kind: 'rollback',
      releaseVersion: '1.0.0',
      outcome: 'succeeded',
      reason: 'too French',
    });
    expect(await servedRelease(project.url)).toBe('1.0.0');
  });

  it('fails a deploy whose release never gets healthy, with its error, and the old release keeps serving', async () => {
    // The server read slipway.yml when it started; a release of a changed config is made with the CLI.
    project.writeConfig(project.config({ env: { FAIL_HEALTH: '1' }, healthStartTimeout: '2s' }));
    expectOk(await project.cli(['release', 'create', '--version', '3.0.0-bad']));
    project.writeConfig(project.config());

    const job = await waitForJob(
      runner,
      (
        await runner.enqueue({
          kind: 'deploy',
          environment: 'production',
          payload: { release: '3.0.0-bad' },
          requestedBy: 'ana',
        })
      ).id,
    );

    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/health/i);
    const deployment = await cp.store.getDeployment(job.deploymentId ?? '');
    expect(deployment?.releaseVersion).toBe('3.0.0-bad');
    expect(deployment?.outcome).not.toBe('succeeded');
    expect(await servedRelease(project.url)).toBe('1.0.0');
  });

  it('fails a deploy of a release that does not exist, naming it', async () => {
    const job = await waitForJob(
      runner,
      (
        await runner.enqueue({
          kind: 'deploy',
          environment: 'production',
          payload: { release: '9.9.9' },
          requestedBy: 'ana',
        })
      ).id,
    );
    expect(job).toMatchObject({ state: 'failed', deploymentId: null });
    expect(job.error).toContain('release 9.9.9 of hello does not exist');
  });

  it('keeps a job queued while someone else holds the environment lock, then runs it', async () => {
    // A deploy from the CLI of a live process on this machine (this test's own pid) holds the lock.
    await cp.store.acquireLock(
      {
        app: 'hello',
        environment: 'production',
        holder: 'carol@laptop',
        pid: process.pid,
        hostname: hostname(),
        deploymentId: 'd-cli',
        atMs: Date.now(),
      },
      () => false,
    );
    const job = await runner.enqueue({
      kind: 'deploy',
      environment: 'production',
      payload: { release: '2.0.0' },
      requestedBy: 'ana',
    });
    // Several polls of the worker go by while the lock is held.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await runner.get(job.id)).toMatchObject({ state: 'queued', owner: null });
    const releasedAtMs = Date.now();
    await cp.store.releaseLock('hello', 'production', 'd-cli');

    const done = await waitForJob(runner, job.id);
    expect(done).toMatchObject({ state: 'succeeded' });
    expect(done.startedAtMs).toBeGreaterThanOrEqual(releasedAtMs);
    expect(await servedRelease(project.url)).toBe('2.0.0');
  });

  /** A job of a replica on another machine that stopped heartbeating a minute ago (its row says where it ran). */
  async function orphanedJob(id: string, deploymentId: string | null, payload: object): Promise<void> {
    const silentSinceMs = Date.now() - 60_000;
    await cp.store.heartbeatReplica({
      id: 'ghost',
      hostname: 'elsewhere',
      pid: 4242,
      startedAtMs: silentSinceMs,
      heartbeatAtMs: silentSinceMs,
    });
    await cp.store.insertServerJob({
      id,
      app: 'hello',
      kind: 'deploy',
      environment: 'production',
      payload,
      requestedBy: 'dora',
      createdAtMs: silentSinceMs,
    });
    expect(await cp.store.claimServerJob(id, 'ghost', silentSinceMs)).toBe(true);
    if (deploymentId) await cp.store.recordServerJobDeployment(id, 'ghost', deploymentId);
  }

  const ghostLock = (deploymentId: string) => ({
    app: 'hello',
    environment: 'production',
    holder: 'dora',
    pid: 4242,
    hostname: 'elsewhere',
    deploymentId,
    atMs: Date.now() - 60_000,
  });

  it("takes over a dead replica's job in the middle of its deployment and resumes it, taking over its lock", async () => {
    project.writeConfig(project.config({ env: { START_DELAY_MS: '3000' }, healthStartTimeout: '30s' }));
    expectOk(await project.cli(['release', 'create', '--version', '4.0.0-slow']));
    project.writeConfig(project.config());
    // A deployment cut off in its health check, its lock left behind by a process on another machine.
    const cli = spawnCli(project, ['deploy', 'production', '--release', '4.0.0-slow']);
    const cut = await waitFor('the health check to run', async () => {
      const [latest] = await cp.store.listDeployments({ app: 'hello', environment: 'production', limit: 1 });
      if (!latest || latest.releaseVersion !== '4.0.0-slow') return undefined;
      const steps = (latest.plan as Plan).stages.flatMap((s) => s.steps);
      const running = (await cp.store.listSteps(latest.id)).some(
        (s) => s.status === 'running' && steps[s.index]?.kind === 'wait-healthy',
      );
      return running ? latest : undefined;
    });
    cli.child.kill('SIGKILL');
    await cli.done;
    await cp.store.releaseLock('hello', 'production', cut.id);
    await cp.store.acquireLock(ghostLock(cut.id), () => false);

    await orphanedJob('j-ghost-resume', cut.id, { release: '4.0.0-slow' });
    const job = await waitForJob(runner, 'j-ghost-resume');

    expect(job).toMatchObject({
      state: 'succeeded',
      owner: 'replica-1',
      takeovers: 1,
      deploymentId: cut.id,
      error: null,
    });
    expect(await cp.store.getDeployment(cut.id)).toMatchObject({ outcome: 'succeeded' });
    expect(await cp.store.getLock('hello', 'production')).toBeUndefined();
    expect(await servedRelease(project.url)).toBe('4.0.0-slow');
    const [takeover] = await cp.store.listEvents({ app: 'hello', kinds: ['job.taken-over'], limit: 1 });
    expect(takeover).toMatchObject({
      environment: 'production',
      deploymentId: cut.id,
      data: { job: 'j-ghost-resume', from: 'ghost', to: 'replica-1' },
    });
  });

  it('gives a taken-over job the outcome of its deployment when that had already ended', async () => {
    const [failed] = (
      await cp.store.listDeployments({ app: 'hello', environment: 'production', limit: 50 })
    ).filter((d) => d.releaseVersion === '3.0.0-bad');
    if (!failed) throw new Error('the failed deployment of 3.0.0-bad is missing');
    const before = await cp.store.listDeployments({ app: 'hello', environment: 'production', limit: 50 });

    await orphanedJob('j-ghost-ended', failed.id, { release: '3.0.0-bad' });
    const job = await waitForJob(runner, 'j-ghost-ended');

    expect(job).toMatchObject({
      state: 'failed',
      deploymentId: failed.id,
      takeovers: 1,
      error: failed.error,
    });
    expect(
      await cp.store.listDeployments({ app: 'hello', environment: 'production', limit: 50 }),
    ).toHaveLength(before.length);
    expect(await servedRelease(project.url)).toBe('4.0.0-slow');
  });

  it('starts a taken-over job over when its deployment was planned but never recorded', async () => {
    await cp.store.acquireLock(ghostLock('d-never-recorded'), () => false);

    await orphanedJob('j-ghost-planned', 'd-never-recorded', { release: '2.0.0' });
    const job = await waitForJob(runner, 'j-ghost-planned');

    expect(job).toMatchObject({ state: 'succeeded', takeovers: 1 });
    expect(job.deploymentId).not.toBe('d-never-recorded');
    expect(await cp.store.getDeployment(job.deploymentId ?? '')).toMatchObject({
      releaseVersion: '2.0.0',
      outcome: 'succeeded',
      createdBy: 'dora',
    });
    expect(await servedRelease(project.url)).toBe('2.0.0');
  });

  it('stops running a job another replica took over while it was presumed dead, and leaves the lock alone', async () => {
    project.writeConfig(project.config({ env: { START_DELAY_MS: '3000' }, healthStartTimeout: '30s' }));
    expectOk(await project.cli(['release', 'create', '--version', '4.1.0-slow']));
    project.writeConfig(project.config());
    const job = await runner.enqueue({
      kind: 'deploy',
      environment: 'production',
      payload: { release: '4.1.0-slow' },
      requestedBy: 'ana',
    });
    const deploymentId = await waitFor('the health check to run', () => healthCheckOf(job.id));

    // A replica that thought us dead takes the job (the compare-and-swap may race our heartbeat: try again).
    await waitFor('the takeover', async () => {
      const seen = await cp.store.getServerJob(job.id);
      if (!seen?.owner || seen.heartbeatAtMs === null) return undefined;
      const taken = await cp.store.takeOverServerJob(
        { id: job.id, owner: seen.owner, heartbeatAtMs: seen.heartbeatAtMs },
        { owner: 'thief', atMs: seen.heartbeatAtMs + 60_000, takeoverAfterMs: 0 },
      );
      return taken || undefined;
    });

    // Our replica stops at the end of its step and releases its lock; the job stays the thief's.
    await waitFor('our replica to let go', async () =>
      (await cp.store.getLock('hello', 'production')) ? undefined : true,
    );
    expect(logged).toContain(`job ${job.id}: another replica owns it now; stopping it here`);
    expect(await cp.store.getServerJob(job.id)).toMatchObject({ state: 'running', owner: 'thief' });
    expect(await cp.store.getDeployment(deploymentId)).toMatchObject({ outcome: null });
    await cp.store.finishServerJob(job.id, 'thief', {
      state: 'failed',
      finishedAtMs: Date.now(),
      error: 'test',
    });
  });

  it('refuses a job for an environment that does not exist', async () => {
    await expect(
      runner.enqueue({ kind: 'deploy', environment: 'nowhere', payload: {}, requestedBy: 'ana' }),
    ).rejects.toThrow(/no environment named "nowhere"/);
  });

  // Last: it stops this replica's runner.
  it('a stopping replica lets the running step end, hands the job over, and another replica completes it', async () => {
    project.writeConfig(project.config({ env: { START_DELAY_MS: '3000' }, healthStartTimeout: '30s' }));
    expectOk(await project.cli(['release', 'create', '--version', '5.0.0-slow']));
    project.writeConfig(project.config());
    const job = await runner.enqueue({
      kind: 'deploy',
      environment: 'production',
      payload: { release: '5.0.0-slow' },
      requestedBy: 'erin',
    });
    const deploymentId = await waitFor('the health check to run', () => healthCheckOf(job.id));

    await runner.stop();

    expect(await runner.get(job.id)).toMatchObject({
      state: 'running',
      owner: 'replica-1',
      heartbeatAtMs: 0,
    });
    expect(await cp.store.getDeployment(deploymentId)).toMatchObject({ outcome: null });
    expect(await cp.store.getLock('hello', 'production')).toBeUndefined();
    expect((await cp.store.getReplica('replica-1'))?.stoppedAtMs).not.toBeNull();

    const next = createJobRunner({
      project: cp,
      replicaId: 'replica-2',
      clock: systemClock,
      pollIntervalMs: 100,
      heartbeatIntervalMs: 500,
      takeoverAfterMs: 15_000,
      log: () => {},
    });
    next.start();
    try {
      const done = await waitForJob(next, job.id);
      expect(done).toMatchObject({ state: 'succeeded', owner: 'replica-2', takeovers: 1, deploymentId });
      expect(await cp.store.getDeployment(deploymentId)).toMatchObject({ outcome: 'succeeded' });
      expect(await servedRelease(project.url)).toBe('5.0.0-slow');
      const [takeover] = await cp.store.listEvents({ app: 'hello', kinds: ['job.taken-over'], limit: 1 });
      expect(takeover?.message).toContain('which handed it over when it stopped');
    } finally {
      await next.stop();
    }
  });
});
