import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProject, type Project } from '../../src/cli/project.js';
import { systemClock } from '../../src/core/clock.js';
import { createJobRunner } from '../../src/server/jobs/create-job-runner.js';
import type { JobRecord, JobRunner } from '../../src/server/jobs/job-runner.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';

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
      log: () => {},
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

  it('refuses a job for an environment that does not exist', async () => {
    await expect(
      runner.enqueue({ kind: 'deploy', environment: 'nowhere', payload: {}, requestedBy: 'ana' }),
    ).rejects.toThrow(/no environment named "nowhere"/);
  });
});
