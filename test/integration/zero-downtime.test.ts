import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/steps.js';
import { openSqliteStore } from '../../src/store/index.js';
import { createTestProject, expectOk, spawnCli, type TestProject } from '../helpers/project.js';
import { startLoad } from '../helpers/load-loop.js';
import { waitFor } from '../helpers/wait-for.js';

// Real CLI processes, a real agent, real targets (examples/hello) and real HTTP through the router.

/** `slipway rollback production` while a bounded load loop runs: no request fails, and 1.0.0 serves after it. */
async function rollbackToV1UnderLoad(project: TestProject): Promise<{ stdout: string }> {
  const load = startLoad(project.url, { concurrency: 4, maxMs: 30_000 });
  await load.warm();
  const rollback = expectOk(await project.cli(['rollback', 'production']));
  await new Promise((r) => setTimeout(r, 300)); // let requests flow on v1 too
  const report = await load.stop();

  expect(report.failures).toEqual([]);
  expect(report.failed).toBe(0);
  expect(report.total).toBeGreaterThan(50);
  expect(report.byRelease['1.0.0']).toBeGreaterThan(0);
  expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');
  return rollback;
}

describe('blue-green deploy and rollback on the local host', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
  });
  afterAll(async () => project.dispose());

  it('deploys v1, then v2 under load with no failed request', async () => {
    const first = expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    expect(first.stdout).toContain('1.0.0 is live in production');
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');

    const load = startLoad(project.url, { concurrency: 4, maxMs: 30_000 });
    await load.warm();
    const second = expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    await new Promise((r) => setTimeout(r, 300)); // let requests flow on v2 too
    const report = await load.stop();

    expect(second.stdout).toContain('2.0.0 is live in production');
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.total).toBeGreaterThan(50);
    expect(Object.keys(report.byRelease).sort()).toEqual(['1.0.0', '2.0.0']);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 2.0.0');
  });

  it('rolls back to the warm v1 under load with no failed request, by a switch only', async () => {
    const rollback = await rollbackToV1UnderLoad(project);
    // While v1 was warm the rollback starts nothing: it switches traffic and keeps v2 warm.
    expect(rollback.stdout).not.toMatch(/start\s+1\.0\.0/);
    expect(rollback.stdout).toMatch(/switch traffic to 1\.0\.0/);

    const history = JSON.parse(
      expectOk(await project.cli(['history', 'production', '--json'])).stdout,
    ) as Array<{ kind: string; release: string }>;
    expect(history.map((e) => e.kind)).toContain('rollback.succeeded');
    const status = JSON.parse(
      expectOk(await project.cli(['status', 'production', '--json'])).stdout,
    ) as Array<{
      hosts: Array<{
        route: { active: string };
        targets: Array<{ id: string; release: string; stopAtMs: number | null }>;
      }>;
    }>;
    const env = status[0]?.hosts[0];
    const warm = env?.targets.find((t) => t.release === '2.0.0');
    expect(env?.targets.find((t) => t.id === env.route.active)?.release).toBe('1.0.0');
    expect(warm?.stopAtMs).toBeGreaterThan(Date.now());
  });

  it('refuses a second deploy of the same environment while one holds the lock, naming the holder', async () => {
    // A release whose targets take a while to become healthy keeps the first deploy (and its lock) busy.
    project.writeConfig(project.config({ env: { START_DELAY_MS: '3000' } }));
    expectOk(await project.cli(['release', 'create', '--version', '3.0.0-slow']));
    const first = spawnCli(project, ['deploy', 'production', '--release', '3.0.0-slow']);
    // Wait until the first deploy has the lock (it prints the plan header once it does).
    const deadline = Date.now() + 20_000;
    while (!first.stdout().includes('Deploying') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const second = await project.cli(['deploy', 'production', '--release', '2.0.0']);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/environment production is locked by \S+@\S+ since \d{4}-\d\d-\d\dT/);
    expect(await first.done).toBe(0);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 3.0.0-slow');
  });
});

interface EnvStatus {
  route: { active: string } | null;
  targets: Array<{ id: string; release: string }>;
}

async function productionStatus(project: TestProject): Promise<EnvStatus | undefined> {
  const out = expectOk(await project.cli(['status', 'production', '--json'])).stdout;
  return (JSON.parse(out) as Array<{ hosts: EnvStatus[] }>)[0]?.hosts[0];
}

describe('cold rollback of a process target', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    // keepWarm 0s: the old target is stopped as soon as it drained, so a rollback has nothing warm to switch to.
    project.writeConfig(
      project.config({ strategy: '      kind: blue-green\n      keepWarm: 0s\n      drainTimeout: 2s' }),
    );
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
  });
  afterAll(async () => project.dispose());

  it('starts the stopped v1 again from its retained release under load, with no failed request', async () => {
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    const firstV1 = (await productionStatus(project))?.route?.active;
    expect(firstV1).toMatch(/^hello-1\.0\.0-/);
    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    const stopped = await waitFor('the 1.0.0 target to be stopped', async () => {
      const env = await productionStatus(project);
      return env && !env.targets.some((t) => t.release === '1.0.0') ? env : undefined;
    });
    expect(stopped.targets.map((t) => t.release)).toEqual(['2.0.0']);

    const rollback = await rollbackToV1UnderLoad(project);

    // Not a switch to a warm target: the release is installed from what was kept, started, checked, switched.
    expect(rollback.stdout).toMatch(/install 1\.0\.0 on local .*(already installed|unpacked)/);
    expect(rollback.stdout).toMatch(/ok\s+start 1\.0\.0 on local .*started on port/);
    expect(rollback.stdout).toMatch(/ok\s+health check 1\.0\.0 on local/);
    const after = await productionStatus(project);
    const serving = after?.targets.find((t) => t.id === after.route?.active);
    expect(serving?.release).toBe('1.0.0');
    expect(serving?.id).not.toBe(firstV1);

    const store = await openSqliteStore(join(project.dir, '.slipway', 'slipway.db'));
    try {
      const [latest] = await store.listDeployments({ app: 'hello', environment: 'production', limit: 1 });
      expect(latest).toMatchObject({ kind: 'rollback', releaseVersion: '1.0.0', previousVersion: '2.0.0' });
      expect(latest?.outcome).toBe('succeeded');
      const steps = (latest?.plan as Plan).stages.flatMap((stage) => stage.steps);
      const install = steps.find((step) => step.kind === 'install-release');
      const release = await store.getRelease('hello', '1.0.0');
      expect(install).toMatchObject({ release: '1.0.0', sha256: release?.sha256 });
      expect(existsSync(install && 'artifact' in install ? install.artifact : '')).toBe(true);
      expect(steps.find((step) => step.kind === 'start-target')).toMatchObject({
        release: '1.0.0',
        targetId: serving?.id,
      });
    } finally {
      await store.close();
    }
    const history = JSON.parse(
      expectOk(await project.cli(['history', 'production', '--json'])).stdout,
    ) as Array<{ kind: string; release: string; data?: { targetId?: string } }>;
    // The environment's history also holds its host's agent events (a target retired after the rollback may be
    // newer); the latest deployment event is the rollback's success.
    const lastDeployment = history.find((e) => /^(deploy|rollback)\./.test(e.kind));
    expect(lastDeployment).toMatchObject({ kind: 'rollback.succeeded', release: '1.0.0' });
    const switched = history.find((e) => e.kind === 'traffic.switched');
    expect(switched).toMatchObject({ release: '1.0.0', data: { targetId: serving?.id } });

    // The whole history (the agent's events too, copied into the ledger later) reads in the order things happened.
    const all = JSON.parse(
      expectOk(await project.cli(['history', '--json', '--limit', '200'])).stdout,
    ) as Array<{
      seq: number;
      atMs: number;
      kind: string;
    }>;
    expect(all.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['agent.started', 'target.retired', 'rollback.succeeded']),
    );
    const outOfOrder = all.filter((e, i) => {
      const newer = all[i - 1];
      return newer !== undefined && (newer.atMs < e.atMs || (newer.atMs === e.atMs && newer.seq < e.seq));
    });
    expect(outOfOrder).toEqual([]);
  });
});
