import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load-loop.js';
import { expectOk, freePort } from '../helpers/project.js';
import { createTestbed, type TestHost, type Testbed, type TestUser } from '../testbed/testbed.js';
import { fleetProject, type Fleet } from './fleet-project.js';

// The keeper on real SSH hosts, as root and as an unprivileged user (no systemd on a testbed host: the SSH bridge
// started the keeper detached). Under load through the local edge, the agent of a host is SIGKILLed (no request may
// fail; the keeper has it back with no command run) and then its router process (traffic flows again; the keeper
// starts a new one, which serves the saved routes). The ledger and `slipway check` say the keeper did it. Timings
// are printed, not asserted (speed is the benchmarks' job).

const APP_PORT = 8420;
const ROOT_AGENT_HOME = '/var/lib/slipway';
const CLIENT_TIMEOUT_MS = 5_000;
const BACK_TIMEOUT_MS = 30_000;
/** Load kept running after the fault, so requests sent across the restart are counted. */
const AFTER_FAULT_MS = 1_500;

interface Victim {
  host: TestHost;
  /** Who the control plane logs in as on it. */
  login: string;
  /** The agent's home on the host (its pid files and sockets): `<agentHome>/agent`. */
  dir: string;
  /** The Node binary setup uploaded (to ask the agent's socket who answers). */
  node: string;
}

function victimOf(host: TestHost, user?: TestUser): Victim {
  const agentHome = user?.agentHome ?? ROOT_AGENT_HOME;
  return { host, login: user?.login ?? 'root', dir: `${agentHome}/agent`, node: `${agentHome}/bin/node` };
}

async function readPid(victim: Victim, file: 'agent.pid' | 'router.pid' | 'keeper.pid'): Promise<number> {
  const result = await victim.host.exec(['cat', `${victim.dir}/${file}`]);
  const pid = Number(result.stdout.trim());
  if (result.code !== 0 || !Number.isInteger(pid) || pid <= 0) {
    throw new Error(`no ${file} on ${victim.host.name}: ${result.stderr}`);
  }
  return pid;
}

/** The real uid of a process on the host. */
async function uidOf(victim: Victim, pid: number): Promise<number> {
  const status = (await victim.host.exec(['cat', `/proc/${pid}/status`])).stdout;
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}

// Runs inside the host with the uploaded Node: a ping on the agent's unix socket, printing the pid that answers.
const PING_SCRIPT = `
const socket = require('node:net').createConnection(process.argv[1]);
let text = '';
socket.setTimeout(500, () => process.exit(2));
socket.on('error', () => process.exit(1));
socket.on('connect', () => socket.write(JSON.stringify({ id: 1, method: 'ping', params: {} }) + '\\n'));
socket.on('data', (chunk) => {
  text += chunk;
  if (!text.includes('\\n')) return;
  process.stdout.write(String(JSON.parse(text.slice(0, text.indexOf('\\n'))).result?.pid ?? ''));
  process.exit(0);
});`;

/** The pid in the agent's pid file when it is not `oldPid` and that very process answers a ping on the socket. */
async function newAgentAnswering(victim: Victim, oldPid: number): Promise<number | undefined> {
  const pid = await readPid(victim, 'agent.pid').catch(() => undefined);
  if (pid === undefined || pid === oldPid) return undefined;
  const ping = await victim.host.exec([victim.node, '-e', PING_SCRIPT, `${victim.dir}/agent.sock`]);
  return ping.code === 0 && Number(ping.stdout) === pid ? pid : undefined;
}

/** A 200 from the host's public port on a new connection (its router process, not the edge). */
async function hostServes(victim: Victim): Promise<boolean> {
  try {
    const res = await fetch(`http://${victim.host.address}:${APP_PORT}/`, {
      signal: AbortSignal.timeout(500),
      headers: { connection: 'close' },
    });
    await res.text();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Polls `probe` until it answers; resolves with the answer and when it came (performance.now()). */
async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
): Promise<{ value: T; atMs: number }> {
  const deadline = performance.now() + BACK_TIMEOUT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, atMs: performance.now() };
    if (performance.now() > deadline) throw new Error(`timed out after ${BACK_TIMEOUT_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** When the keeper started `which` again after `sinceMs` (wall clock), from its journal on the host. */
async function keeperRestartedAtMs(
  victim: Victim,
  which: 'agent' | 'router',
  sinceMs: number,
): Promise<number | undefined> {
  const journal = (await victim.host.exec(['cat', `${victim.dir}/keeper-events.jsonl`])).stdout;
  return journal
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { kind: string; atMs: number })
    .find((event) => event.kind === `${which}.restarted` && event.atMs >= sinceMs)?.atMs;
}

async function killByPidFile(victim: Victim, file: 'agent.pid' | 'router.pid'): Promise<void> {
  const killed = await victim.host.exec(['sh', '-c', `kill -9 "$(cat ${victim.dir}/${file})"`]);
  expect(killed.code, killed.stderr).toBe(0);
}

describe('the keeper on SSH hosts, as root and as an unprivileged user, under load through the edge', () => {
  let testbed: Testbed;
  let fleet: Fleet;
  let url: string;
  let victims: Victim[];

  beforeAll(async () => {
    testbed = await createTestbed({ hosts: 2, name: 'keeper', users: ['deploy'] });
    const [h1, h2] = testbed.hosts as [TestHost, TestHost];
    const [deploy] = testbed.users as [TestUser];
    victims = [victimOf(h1), victimOf(h2, deploy)];
    fleet = fleetProject(testbed, await freePort(), { logins: { [h2.name]: deploy } });
    url = `http://127.0.0.1:${fleet.edgePort}`;
    expectOk(await fleet.cli(['setup', 'production', '--trust-new-hosts']));
    expectOk(await fleet.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await fleet.cli(['deploy', 'production', '--release', '1.0.0']));
  }, 240_000);

  afterAll(async () => {
    if (fleet) {
      await fleet.cli(['agent', 'stop', '--stop-targets']);
      rmSync(fleet.dir, { recursive: true, force: true });
    }
    await testbed?.destroy();
  }, 120_000);

  it('runs the keeper, the agent and the router process as the user the host is reached as', async () => {
    for (const victim of victims) {
      const expectedUid = victim.login === 'root' ? 0 : testbed.users[0]?.uid;
      for (const file of ['keeper.pid', 'agent.pid', 'router.pid'] as const) {
        expect(await uidOf(victim, await readPid(victim, file)), `${victim.host.name} ${file}`).toBe(
          expectedUid,
        );
      }
      expect(await hostServes(victim)).toBe(true);
    }
    expect(await (await fetch(`${url}/`)).text()).toContain('hello 1.0.0');
  });

  describe.each([
    ['root', 0],
    ['an unprivileged user', 1],
  ] as const)('a host reached as %s', (who, index) => {
    const victim = (): Victim => victims[index] as Victim;

    it('loses no request when its agent is SIGKILLed; the keeper has a new agent answering, no command run', async () => {
      const { host } = victim();
      const agentPid = await readPid(victim(), 'agent.pid');
      const routerPid = await readPid(victim(), 'router.pid');
      const load = startLoad(url, { concurrency: 4, maxMs: 60_000, timeoutMs: CLIENT_TIMEOUT_MS });
      await load.warm(200);
      const killedAt = performance.now();
      const killedAtWallMs = Date.now();
      await killByPidFile(victim(), 'agent.pid');
      const back = await pollUntil(`a new agent answering on ${host.name}`, () =>
        newAgentAnswering(victim(), agentPid),
      );
      await new Promise((resolve) => setTimeout(resolve, AFTER_FAULT_MS));
      const report = await load.stop();
      const spawnedAt = await keeperRestartedAtMs(victim(), 'agent', killedAtWallMs);
      console.log(
        `agent SIGKILL on ${host.name} (${who}): the keeper started a new one ${spawnedAt === undefined ? '?' : spawnedAt - killedAtWallMs} ms ` +
          `after the kill (its journal), answering (pid ${back.value}) ${Math.round(back.atMs - killedAt)} ms ` +
          `after the kill (polled through the host, each poll ~tens of ms); ${report.total} requests through the edge, ` +
          `${report.failed} failed, slowest ${Math.round(report.slowestMs)} ms`,
      );
      expect(report.failures).toEqual([]);
      expect(report.failed).toBe(0);
      expect(report.total).toBeGreaterThan(200);
      expect(back.value).not.toBe(agentPid);
      // The public port never changed hands: the router process outlived the agent.
      expect(await readPid(victim(), 'router.pid')).toBe(routerPid);
    }, 120_000);

    it('serves again when its router process is SIGKILLed: through the edge, and on its own port once restarted', async () => {
      const { host } = victim();
      const routerPid = await readPid(victim(), 'router.pid');
      const load = startLoad(url, { concurrency: 4, maxMs: 60_000, timeoutMs: CLIENT_TIMEOUT_MS });
      await load.warm(200);
      const killedAt = performance.now();
      const killedAtWallMs = Date.now();
      await killByPidFile(victim(), 'router.pid');
      const [restarted, serving] = await Promise.all([
        pollUntil(`a new router process on ${host.name}`, async () => {
          const pid = await readPid(victim(), 'router.pid').catch(() => undefined);
          return pid !== undefined && pid !== routerPid ? pid : undefined;
        }),
        pollUntil(`${host.name}'s public port answering`, async () =>
          (await hostServes(victim())) ? true : undefined,
        ),
      ]);
      await new Promise((resolve) => setTimeout(resolve, AFTER_FAULT_MS));
      const during = await load.stop();
      const lastFailure = during.failedAtMs.length === 0 ? null : Math.max(...during.failedAtMs) - killedAt;
      // After the restart: the edge (both hosts) serves every request again.
      const afterLoad = startLoad(url, {
        concurrency: 4,
        maxRequests: 400,
        maxMs: 30_000,
        timeoutMs: CLIENT_TIMEOUT_MS,
      });
      await afterLoad.warm(400);
      const after = await afterLoad.stop();
      const spawnedAt = await keeperRestartedAtMs(victim(), 'router', killedAtWallMs);
      console.log(
        `router SIGKILL on ${host.name} (${who}): the keeper started a new one ${spawnedAt === undefined ? '?' : spawnedAt - killedAtWallMs} ms ` +
          `after the kill (its journal), its pid file (pid ${restarted.value}) seen ${Math.round(restarted.atMs - killedAt)} ms ` +
          `after the kill, its public port serving ${Math.round(serving.atMs - killedAt)} ms after; through the edge meanwhile ` +
          `${during.total} requests, ${during.failed} failed${lastFailure === null ? '' : ` (the last ${Math.round(lastFailure)} ms after the kill)`}` +
          `${during.failures.length > 0 ? ` ${JSON.stringify(during.failures.slice(0, 3))}` : ''}, slowest ${Math.round(during.slowestMs)} ms; ` +
          `afterwards ${after.total} requests, ${after.failed} failed`,
      );
      expect(restarted.value).not.toBe(routerPid);
      expect(during.byRelease['1.0.0']).toBeGreaterThan(200);
      expect(after.failures).toEqual([]);
      expect(after.failed).toBe(0);
      expect(after.total).toBe(400);
      expect(await hostServes(victim())).toBe(true);
    }, 120_000);
  });

  it("puts every host's restarts in the ledger, and check says the keeper restarts both processes", async () => {
    const events = JSON.parse(
      expectOk(await fleet.cli(['history', 'production', '--json', '--limit', '200'])).stdout,
    ) as Array<{ kind: string; actor: string; message: string }>;
    for (const { host } of victims) {
      const restarts = events.filter((e) => e.actor === `agent@${host.name}`).map((e) => e.kind);
      expect(restarts, host.name).toContain('agent.restarted');
      expect(restarts, host.name).toContain('router.restarted');
    }
    const check = expectOk(await fleet.cli(['check', 'production']));
    console.log(`slipway check production:\n${check.stdout}`);
    // Without colours, should the CLI use them.
    const text = check.stdout.replace(/\u001b\[[0-9;]*m/g, '');
    const lines = text.split('\n');
    for (const { host } of victims) {
      const rows = lines.slice(lines.indexOf(host.name) + 1);
      const end = rows.findIndex((line) => !line.startsWith(' '));
      const block = rows.slice(0, end === -1 ? undefined : end).join('\n');
      expect(block, text).toMatch(
        /^\s+ok\s+supervisor\s+the agent \(pid \d+\) and the router process \(pid \d+\) are restarted by the keeper$/m,
      );
    }
  });
});
