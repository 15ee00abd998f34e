import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { startLoad } from '../helpers/load-loop.js';
import { waitFor } from '../helpers/wait-for.js';

// Several web instances per host (run.instances: 3) through the real CLI, agent, router and example app, which
// answers with its release and pid: which instance answered is in every body.

interface HostStatus {
  route: {
    active: string;
    group?: Array<{ id: string; port: number; inRotation: boolean; health: string }>;
  } | null;
  targets: Array<{ id: string; release: string; pid: number | null; state: string; restarts: number }>;
}

async function hostStatus(project: TestProject): Promise<HostStatus> {
  const out = expectOk(await project.cli(['status', 'production', '--json'])).stdout;
  const host = (JSON.parse(out) as Array<{ hosts: HostStatus[] }>)[0]?.hosts[0];
  if (!host) throw new Error(`no host in status: ${out}`);
  return host;
}

/** The pids that answered `n` requests in a row, each on a new connection. */
async function pidsAnswering(project: TestProject, n: number): Promise<Map<string, number>> {
  const pids = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const body = await (await fetch(`${project.url}/`, { headers: { connection: 'close' } })).text();
    const pid = /\(pid (\d+)\)/.exec(body)?.[1] ?? `no pid in ${body}`;
    pids.set(pid, (pids.get(pid) ?? 0) + 1);
  }
  return pids;
}

/** `n` requests, 4 at a time (least outstanding spreads concurrent requests; in a row they take turns). */
async function pidsUnderLoad(project: TestProject): Promise<Set<string>> {
  const pids = new Set<string>();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 15; i++) {
        const body = await (await fetch(`${project.url}/`)).text();
        pids.add(/\(pid (\d+)\)/.exec(body)?.[1] ?? `no pid in ${body}`);
      }
    }),
  );
  return pids;
}

describe('run.instances: 3 on the local host', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    project.writeConfig(
      project.config().replace('  stopTimeout: 5s\n', '  stopTimeout: 5s\n  instances: 3\n'),
    );
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
  });
  afterAll(async () => project.dispose());

  it('plans three starts and one switch to the group, and spreads requests across all three', async () => {
    const plan = expectOk(await project.cli(['plan', 'production', '--release', '1.0.0'])).stdout;
    expect(plan.match(/start target hello-1\.0\.0-\S+-i[123] /g)).toHaveLength(3);
    expect(plan).toMatch(/switch traffic of hello on local to 3 instances /);

    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    const status = await hostStatus(project);
    expect(status.route?.group?.map((m) => m.id)).toHaveLength(3);
    expect(status.targets.filter((t) => t.release === '1.0.0' && t.state === 'running')).toHaveLength(3);
    // In a row, idle instances take turns: each answers a third. (The pid is the app's, a child of the target's
    // shell, whose pid status shows.)
    const answered = await pidsAnswering(project, 30);
    expect([...answered.values()]).toEqual([10, 10, 10]);
    expect(await pidsUnderLoad(project)).toEqual(new Set(answered.keys()));
  });

  it('switches all three to 2.0.0 under load with no failed request, and every old one drains', async () => {
    const load = startLoad(project.url, { concurrency: 4, maxMs: 30_000 });
    await load.warm();
    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    await new Promise((r) => setTimeout(r, 300));
    const report = await load.stop();
    expect(deploy.stdout).toContain('2.0.0 is live in production');
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);

    const status = await hostStatus(project);
    const v2 = status.targets.filter((t) => t.release === '2.0.0');
    expect(status.route?.group?.map((m) => m.id).sort()).toEqual(v2.map((t) => t.id).sort());
    expect((await pidsUnderLoad(project)).size).toBe(3);
    const text = expectOk(await project.cli(['status', 'production'])).stdout;
    for (const role of ['serving 1/3', 'serving 2/3', 'serving 3/3']) expect(text).toContain(role);
    // The old group is warm, out of the route, all three of them.
    expect(status.targets.filter((t) => t.release === '1.0.0' && t.state === 'running')).toHaveLength(3);
  });

  it('one instance killed with SIGKILL: the others carry the load with no failed GET while the agent restarts it', async () => {
    const before = await hostStatus(project);
    const pids = [...(await pidsAnswering(project, 3)).keys()];
    expect(pids).toHaveLength(3);
    const victim = Number(pids[1]);
    const load = startLoad(project.url, { concurrency: 4, maxMs: 30_000 });
    await load.warm();
    process.kill(victim, 'SIGKILL');
    const restarts = (s: HostStatus) => s.targets.reduce((n, t) => n + t.restarts, 0);
    await waitFor('the agent to restart the killed instance, and the router to take it back', async () => {
      const s = await hostStatus(project);
      const back = s.route?.group?.every((m) => m.inRotation) === true;
      return restarts(s) > restarts(before) && back ? s : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.total).toBeGreaterThan(50);
    // Three instances answer again, the restarted one with a new pid.
    const after = await pidsAnswering(project, 3);
    expect(after.size).toBe(3);
    expect(after.has(String(victim))).toBe(false);
  });
});

describe('run.instances with a canary', () => {
  let project: TestProject;
  beforeAll(async () => {
    project = await createTestProject();
  });
  afterAll(async () => project.dispose());

  it('is refused when the config is loaded: exit 2, naming the key and the fix', async () => {
    const config = project.config({ strategy: '      kind: canary\n      steps:\n        - setWeight: 10' });
    project.writeConfig(config.replace('  stopTimeout: 5s\n', '  stopTimeout: 5s\n  instances: 3\n'));
    const result = await project.cli(['plan', 'production']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/environments\.production\.strategy\.kind/);
    expect(result.stderr).toMatch(/run\.instances is 3.*blue-green or rolling/);
  });
});
