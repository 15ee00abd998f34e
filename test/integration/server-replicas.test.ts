import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/steps.js';
import type { JobRecord } from '../../src/server/jobs/job-runner.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

// Two `slipway server` replicas on one PostgreSQL and one project. A deploy (through the API) whose release
// takes seconds to get healthy is running on one of them; that replica is killed with SIGKILL (no goodbye:
// its job, its lock and its deployment stay as they were); the other notices the silence, takes the job over
// and resumes the deployment from the ledger to its end.

const TAKEOVER_AFTER = '3s';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('two replicas on one PostgreSQL', () => {
  let pg: TestPostgres;
  let url: string;
  let project: TestProject;
  let store: Store;
  const servers = new Map<string, TestServer>();

  beforeAll(async () => {
    pg = await startTestPostgres();
    await pg.createDatabase('slipway');
    url = pg.url('slipway');
    project = await createTestProject();
    store = await openStore({ kind: 'postgres', url });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
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

    for (const id of ['replica-a', 'replica-b']) {
      servers.set(
        id,
        await startTestServer(project, {
          storeUrl: url,
          args: ['--replica-id', id, '--takeover-after', TAKEOVER_AFTER],
        }),
      );
    }
    const a = servers.get('replica-a')!;
    const token = await a.token('ana', ['deployer:production']);
    const accepted = await a.fetch('/api/v1/environments/production/deployments', token, {
      method: 'POST',
      body: JSON.stringify({ release: '2.0.0', reason: 'slow start' }),
    });
    expect(accepted.status).toBe(202);
    const jobId = ((await accepted.json()) as JobRecord).id;

    // The owner is inside the health check of the new target when it dies.
    const running = await waitFor(
      'the health check to run',
      async () => {
        const job = await store.getServerJob(jobId);
        if (!job?.deploymentId || !job.owner) return undefined;
        const deployment = await store.getDeployment(job.deploymentId);
        if (!deployment) return undefined;
        const steps = (deployment.plan as Plan).stages.flatMap((s) => s.steps);
        const waiting = (await store.listSteps(job.deploymentId)).some(
          (s) => s.status === 'running' && steps[s.index]?.kind === 'wait-healthy',
        );
        return waiting ? job : undefined;
      },
      90_000,
    );
    const ownerId = running.owner ?? '';
    const owner = servers.get(ownerId);
    const [survivorId, survivor] = [...servers].find(([id]) => id !== ownerId) ?? [];
    if (!owner || !survivor || !survivorId) throw new Error(`unknown owner ${ownerId}`);
    process.kill(owner.pid, 'SIGKILL');
    await waitFor('the owner to die', () => Promise.resolve(isRunning(owner.pid) ? undefined : true));
    servers.delete(ownerId);
    const lock = await store.getLock('hello', 'production');
    expect(lock?.deploymentId).toBe(running.deploymentId);

    const done = await waitFor<JobRecord>(
      'the job to finish',
      async () => {
        const answer = await survivor.fetch(`/api/v1/jobs/${jobId}`, token);
        const job = (await answer.json()) as JobRecord;
        return job.state === 'succeeded' || job.state === 'failed' ? job : undefined;
      },
      90_000,
    );

    expect(done, survivor.output()).toMatchObject({
      state: 'succeeded',
      owner: survivorId,
      takeovers: 1,
      deploymentId: running.deploymentId,
      requestedBy: 'ana',
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
      data: { job: jobId, from: ownerId, to: survivorId },
    });
    const succeeded = events.find(
      (e) => e.kind === 'deploy.succeeded' && e.deploymentId === running.deploymentId,
    );
    expect(succeeded?.actor).toBe('ana');
    // Newest first: the deploy succeeded after the takeover.
    expect(events.indexOf(succeeded!)).toBeLessThan(events.indexOf(takeover!));
    expect(survivor.output()).toContain(`job ${jobId}: taken over from replica ${ownerId}`);
  }, 180_000);
});
