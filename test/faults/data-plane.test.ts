import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load-loop.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { killUnderLoad, pidIn } from './fault-scenarios.js';

// The data plane outlives the agent: the router process owns the public port, the keeper restarts whichever of
// the two dies, with no command run. Under steady load, on the local host (no systemd, no root needed for this).

async function ledgerKinds(project: TestProject): Promise<string[]> {
  const history = JSON.parse(
    expectOk(await project.cli(['history', '--json', '--limit', '100'])).stdout,
  ) as Array<{ kind: string }>;
  return history.map((e) => e.kind);
}

describe('the data plane under faults', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  });
  afterAll(async () => project.dispose());

  it('an agent SIGKILLed under load: no request fails, the keeper has it back, the ledger says so', async () => {
    const routerPid = pidIn(project, 'router.pid');
    const figures = await killUnderLoad(project, 'agent');
    expect(figures.load.failures).toEqual([]);
    expect(figures.load.failed).toBe(0);
    expect(figures.load.total).toBeGreaterThan(200);
    expect(figures.backAfterMs).not.toBeNull(); // back with no command run
    expect(pidIn(project, 'router.pid')).toBe(routerPid); // the public port never changed hands
    expect(await ledgerKinds(project)).toContain('agent.restarted');
    expect(expectOk(await project.cli(['agent', 'status'])).stdout).toContain(
      `; router process pid ${routerPid}; restarted by the keeper`,
    );
  });

  it('a router process SIGKILLed under load: restarted at once, serving its saved routes, ledgered', async () => {
    const figures = await killUnderLoad(project, 'router');
    expect(figures.backAfterMs).not.toBeNull();
    expect(figures.servingAfterMs).not.toBeNull();
    expect(figures.load.byRelease['1.0.0']).toBeGreaterThan(200);
    const after = startLoad(project.url, {
      concurrency: 4,
      maxRequests: 400,
      maxMs: 20_000,
      timeoutMs: 5_000,
    });
    expect((await after.stop()).failed).toBe(0);
    expect(await ledgerKinds(project)).toContain('router.restarted');
  });

  it('a deploy after both restarts switches through the new router process, with no failed request', async () => {
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000, timeoutMs: 5_000 });
    await load.warm(100);
    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
  });
});
