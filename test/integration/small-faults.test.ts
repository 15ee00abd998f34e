import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive, readProcessStartTicks } from '../../src/agent/process-util.js';
import type { TargetRecord } from '../../src/runtime/target-record.js';
import { LocalHost } from '../../src/hosts/local-host.js';
import {
  createTestProject,
  expectOk,
  spawnCli,
  spawnCliProcess,
  type TestProject,
} from '../helpers/project.js';
import { startTestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

// Smaller faults, with real agents, targets and CLIs: a dead agent's targets stopped from its state file, the
// longest keep-warm (and a longer one from an old plan) holding, and a resume's heading naming what serves.

/** The longest keep-warm a timer holds: 2^31-1 ms. */
const MAX_KEEP_WARM = '24d20h31m23s647ms';

interface TargetJson {
  id: string;
  release: string;
  pid: number | null;
  state: string;
  stopAtMs: number | null;
}

async function targets(project: TestProject): Promise<TargetJson[]> {
  const [status] = JSON.parse(
    expectOk(await project.cli(['status', 'production', '--json'])).stdout,
  ) as Array<{ hosts: Array<{ targets: TargetJson[] }> }>;
  return status?.hosts[0]?.targets ?? [];
}

function stateFileOf(project: TestProject): string {
  return join(project.dir, '.slipway', 'agent', 'state.json');
}

describe('a dead agent, and keep-warm at and past the longest timer', () => {
  let project: TestProject;
  let stranger: ChildProcess | undefined;

  beforeAll(async () => {
    project = await createTestProject();
    project.writeConfig(
      project.config({
        strategy: `      kind: blue-green\n      keepWarm: ${MAX_KEEP_WARM}\n      drainTimeout: 2s`,
      }),
    );
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
  });
  afterAll(async () => {
    if (stranger?.pid && isProcessAlive(stranger.pid)) process.kill(stranger.pid, 'SIGKILL');
    await project.dispose();
  });

  it('keeps the previous release warm for the longest keepWarm a timer holds, and longer when an old plan asks', async () => {
    const warm = (await targets(project)).find((t) => t.release === '1.0.0');
    expect(warm?.state).toBe('running');
    expect(warm?.stopAtMs).toBeGreaterThan(Date.now() + 24 * 86_400_000);
    expect(expectOk(await project.cli(['status', 'production'])).stdout).toMatch(
      /warm\s+1\.0\.0 .* stops in 5\d\dh/,
    );

    // A plan stored before 30d was refused (or an older control plane) asks the agent for 30 days: Node fired such
    // a timer after 1 ms, stopping the warm release at once.
    const host = new LocalHost(join(project.dir, '.slipway', 'agent'));
    try {
      const agent = await host.agent();
      await agent.call('retireTarget', { id: warm?.id ?? '', afterMs: 30 * 86_400_000 });
      await new Promise((r) => setTimeout(r, 200));
      const state = await agent.call('state', {});
      const after = state.targets.find((t) => t.id === warm?.id);
      expect(after?.state).toBe('running');
      expect(after?.stopAtMs).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    } finally {
      await host.close();
    }
  });

  it('agent stop --stop-targets stops what a SIGKILLed agent left running, checking each pid first', async () => {
    const before = await targets(project);
    expect(before.map((t) => t.release).sort()).toEqual(['1.0.0', '2.0.0']);
    // A process that now has a pid the state file names, as after a pid was reused: it must be left alone.
    stranger = spawn('sleep', ['300'], { stdio: 'ignore', detached: true });
    const strangerPid = stranger.pid ?? -1;
    await waitFor('the stranger to run', () => Promise.resolve(readProcessStartTicks(strangerPid)));

    // The keeper would start the agent again at once: this is a host where both died (an OOM killer, a crash).
    const keeperPid = Number(readFileSync(join(dirname(stateFileOf(project)), 'keeper.pid'), 'utf8'));
    process.kill(keeperPid, 'SIGKILL');
    await waitFor('the keeper to die', () => Promise.resolve(isProcessAlive(keeperPid) ? undefined : true));
    const agentPid = project.agentPid();
    expect(agentPid).not.toBeNull();
    process.kill(agentPid ?? -1, 'SIGKILL');
    await waitFor('the agent to die', () =>
      Promise.resolve(isProcessAlive(agentPid ?? -1) ? undefined : true),
    );
    const state = JSON.parse(readFileSync(stateFileOf(project), 'utf8')) as { targets: TargetRecord[] };
    const [first] = state.targets;
    if (!first) throw new Error('no target in the state file');
    state.targets.push({
      ...first,
      spec: { ...first.spec, id: 'hello-0.9.0-gone' },
      pid: strangerPid,
      pidStartTicks: (readProcessStartTicks(strangerPid) ?? 0) - 100, // started before: not this process
    });
    writeFileSync(stateFileOf(project), JSON.stringify(state));
    // The targets outlive their agent: still running, unsupervised.
    for (const t of before) expect(isProcessAlive(t.pid ?? -1), t.id).toBe(true);

    const routerPid = Number(readFileSync(join(dirname(stateFileOf(project)), 'router.pid'), 'utf8'));
    expect(isProcessAlive(routerPid)).toBe(true); // the public port outlives the agent
    const stopped = expectOk(await project.cli(['agent', 'stop', '--stop-targets']));
    expect(isProcessAlive(routerPid)).toBe(false); // and goes with `agent stop`

    expect(stopped.stdout).toContain('agent was not running');
    for (const t of before)
      expect(stopped.stdout).toContain(
        `stopped target ${t.id} (${t.release}, pid ${t.pid}) that it left running`,
      );
    expect(stopped.stdout).toContain(
      `target hello-0.9.0-gone (1.0.0) was no longer running: pid ${strangerPid} now belongs to another process, left alone`,
    );
    for (const t of before) expect(isProcessAlive(t.pid ?? -1), t.id).toBe(false);
    expect(isProcessAlive(strangerPid)).toBe(true);
    // The next agent (`agent start`; status starts none) finds nothing to adopt or start again.
    expect(
      (JSON.parse(readFileSync(stateFileOf(project), 'utf8')) as { targets: unknown[] }).targets,
    ).toEqual([]);
    expectOk(await project.cli(['agent', 'start']));
    expect(await targets(project)).toEqual([]);
  });
});

describe("a resumed deployment's heading", () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    // A bake after the switch: a deploy interrupted there has switched already.
    project.writeConfig(
      project.config({
        environmentExtra:
          '    bake: { duration: 10m, interval: 300ms, probe: { ratePerSecond: 10, path: / } }',
      }),
    );
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    const first = spawnCli(project, ['deploy', 'production', '--release', '1.0.0']);
    await interruptInBake(first, '1.0.0');
  });
  afterAll(async () => project.dispose());

  /** Waits until the deploy bakes (`version` serves), then Ctrl-C: the wait stops, the deploy is resumable. */
  async function interruptInBake(deploy: ReturnType<typeof spawnCli>, version: string): Promise<void> {
    await waitFor('the bake', async () => {
      const body = await (await fetch(project.url).catch(() => undefined))?.text();
      return body?.includes(`hello ${version}`) && deploy.stdout().includes('bake') ? true : undefined;
    });
    deploy.child.kill('SIGINT');
    expect(await deploy.done).toBe(130);
  }

  it('names the release that serves now, not the one that served when the plan was made', async () => {
    await interruptInBake(spawnCli(project, ['deploy', 'production', '--release', '2.0.0']), '2.0.0');
    expect(await (await fetch(project.url)).text()).toContain('hello 2.0.0');

    const resumed = spawnCli(project, ['deploy', 'production', '--resume']);
    const heading = await waitFor('the heading', () =>
      Promise.resolve(
        resumed
          .stdout()
          .split('\n')
          .find((l) => l.startsWith('Resuming')),
      ),
    );
    expect(heading).toMatch(/^Resuming hello 2\.0\.0 to production \(.*, now serving 2\.0\.0\)$/);
    await interruptInBake(resumed, '2.0.0');

    // The same over a server: the remote CLI asks the server what serves.
    const server = await startTestServer(project);
    try {
      const token = await server.token('ci', ['deployer:production']);
      const remote = spawnCliProcess(['--server', server.url, 'deploy', 'production', '--resume'], {
        SLIPWAY_TOKEN: token,
      });
      const remoteHeading = await waitFor('the remote heading', () =>
        Promise.resolve(
          remote
            .stdout()
            .split('\n')
            .find((l) => l.startsWith('Resuming')),
        ),
      );
      expect(remoteHeading).toMatch(/^Resuming hello 2\.0\.0 to production \(.*, now serving 2\.0\.0\)$/);
      remote.child.kill('SIGINT'); // detaches; the server's job stops when the server does
      expect(await remote.done).toBe(130);
    } finally {
      await server.stop();
    }
  });
});
