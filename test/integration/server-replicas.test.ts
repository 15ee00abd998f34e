import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/steps.js';
import type { JobRecord } from '../../src/server/jobs/job-runner.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { REPO_ROOT, createTestProject, expectOk, type TestProject } from '../helpers/project.js';

// Two replicas on one PostgreSQL and one project. A deploy whose release takes seconds to get healthy is
// running on one of them; that replica is killed with SIGKILL (no goodbye: its job, its lock and its
// deployment stay as they were); the other notices the silence, takes the job over and resumes the deployment
// from the ledger to its end.

const WORKER = join(REPO_ROOT, 'test', 'fixtures', 'job-worker.ts');
const TAKEOVER_AFTER_MS = 3000;

interface Replica {
  id: string;
  child: ChildProcess;
  output(): string;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('two replicas on one PostgreSQL', () => {
  let pg: TestPostgres;
  let url: string;
  let project: TestProject;
  let store: Store;
  const replicas: Replica[] = [];

  function startReplica(id: string): Promise<Replica> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WORKER, join(project.dir, 'slipway.yml'), id, String(TAKEOVER_AFTER_MS)],
      { env: { ...process.env, SLIPWAY_STORE_URL: url, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const replica: Replica = { id, child, output: () => output };
    replicas.push(replica);
    return new Promise((resolve, reject) => {
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      child.stdout?.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('ready')) resolve(replica);
      });
      child.once('exit', (code) => reject(new Error(`replica ${id} exited (${code}):\n${output}`)));
    });
  }

  beforeAll(async () => {
    pg = await startTestPostgres();
    await pg.createDatabase('slipway');
    url = pg.url('slipway');
    project = await createTestProject();
    store = await openStore({ kind: 'postgres', url });
  }, 120_000);
  afterAll(async () => {
    const alive = replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
    const exited = alive.map((r) => new Promise((resolve) => r.child.once('exit', resolve)));
    for (const r of alive) r.child.kill('SIGTERM');
    await Promise.all(exited);
    await store?.close();
    await project?.dispose();
    await pg?.stop();
  }, 60_000);

  it('a replica killed in the middle of a deploy: the other takes the job over and completes it', async () => {
    const env = { SLIPWAY_STORE_URL: url };
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0'], env));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0'], env));
    // 2.0.0 answers its health check only 8 s after it starts.
    project.writeConfig(project.config({ env: { START_DELAY_MS: '8000' }, healthStartTimeout: '60s' }));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0'], env));

    await Promise.all([startReplica('replica-a'), startReplica('replica-b')]);
    const jobId = 'j-two-replicas';
    await store.insertServerJob({
      id: jobId,
      app: 'hello',
      kind: 'deploy',
      environment: 'production',
      payload: { release: '2.0.0', reason: 'slow start' },
      requestedBy: 'ana',
      createdAtMs: Date.now(),
    });

    // The owner is inside the health check of the new target when it dies.
    const running = await waitFor('the health check to run', async () => {
      const job = await store.getServerJob(jobId);
      if (!job?.deploymentId || !job.owner) return undefined;
      const deployment = await store.getDeployment(job.deploymentId);
      if (!deployment) return undefined;
      const steps = (deployment.plan as Plan).stages.flatMap((s) => s.steps);
      const waiting = (await store.listSteps(job.deploymentId)).some(
        (s) => s.status === 'running' && steps[s.index]?.kind === 'wait-healthy',
      );
      return waiting ? job : undefined;
    });
    const owner = replicas.find((r) => r.id === running.owner);
    const survivor = replicas.find((r) => r.id !== running.owner);
    if (!owner || !survivor) throw new Error(`unknown owner ${running.owner}`);
    owner.child.kill('SIGKILL');
    await new Promise((r) => owner.child.once('exit', r));
    const lock = await store.getLock('hello', 'production');
    expect(lock?.deploymentId).toBe(running.deploymentId);

    const done = await waitFor<JobRecord>('the job to finish', async () => {
      const job = await store.getServerJob(jobId);
      return job?.state === 'succeeded' || job?.state === 'failed' ? job : undefined;
    });

    expect(done, survivor.output()).toMatchObject({
      state: 'succeeded',
      owner: survivor.id,
      takeovers: 1,
      deploymentId: running.deploymentId,
      error: null,
    });
    expect(await store.getDeployment(running.deploymentId ?? '')).toMatchObject({
      releaseVersion: '2.0.0',
      outcome: 'succeeded',
      createdBy: 'ana',
    });
    const served = (await (await fetch(`${project.url}/api/version`)).json()) as { release: string };
    expect(served.release).toBe('2.0.0');
    expect(await store.getLock('hello', 'production')).toBeUndefined();

    const events = await store.listEvents({ app: 'hello', environment: 'production', limit: 200 });
    const takeover = events.find((e) => e.kind === 'job.taken-over');
    expect(takeover).toMatchObject({
      deploymentId: running.deploymentId,
      data: { job: jobId, from: owner.id, to: survivor.id },
    });
    const succeeded = events.find(
      (e) => e.kind === 'deploy.succeeded' && e.deploymentId === running.deploymentId,
    );
    expect(succeeded?.actor).toBe('ana');
    // The ledger tells it in order: the deploy started, the takeover, then the deploy succeeded.
    expect(events.findIndex((e) => e === succeeded)).toBeLessThan(events.findIndex((e) => e === takeover));
    expect(survivor.output()).toContain(`job ${jobId}: taken over from replica ${owner.id}`);
  }, 180_000);
});
