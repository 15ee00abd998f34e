import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/index.js';
import { createTestProject, expectOk, freePort, spawnCli, type TestProject } from '../helpers/project.js';

// Monitoring with real processes: the agent samples, `slipway monitor` collects, probes, evaluates alert rules
// and writes transitions to the ledger; a young release that crash-loops is rolled back.

interface LedgerJson {
  kind: string;
  message: string;
  release: string | null;
  data: unknown;
}

async function history(project: TestProject): Promise<LedgerJson[]> {
  return JSON.parse(
    expectOk(await project.cli(['history', '--json', '--limit', '500'])).stdout,
  ) as LedgerJson[];
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs}ms`);
    await sleep(200);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Paced traffic: one GET every `everyMs`, bounded in count and time; answers are counted by status class. */
function startTraffic(url: string, o: { everyMs: number; maxRequests: number; maxMs: number }) {
  const counts = { ok: 0, errors: 0, failed: 0 };
  let stopped = false;
  const deadline = Date.now() + o.maxMs;
  const done = (async () => {
    for (let i = 0; i < o.maxRequests && !stopped && Date.now() < deadline; i++) {
      try {
        const res = await fetch(`${url}/`);
        await res.text();
        if (res.status >= 500) counts.errors++;
        else counts.ok++;
      } catch {
        counts.failed++;
      }
      await sleep(o.everyMs);
    }
  })();
  return {
    counts,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

function monitoringYaml(lines: string): string {
  return `    monitoring:\n${lines
    .trim()
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n')}\n`;
}

interface Notification {
  event: string;
  app: string;
  environment: string;
  release: string | null;
  ledger: { kind: string };
}

/** A local webhook receiver on a free port: keeps every JSON body it gets. */
async function startReceiver(): Promise<{ url: string; bodies: Notification[]; close: () => Promise<void> }> {
  const bodies: Notification[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text) as Notification);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// Real processes on a shared machine: generous limits (nothing here asserts timing).
describe('monitoring after deploy', { timeout: 180_000 }, () => {
  let project: TestProject | undefined;
  const receivers: Array<{ close: () => Promise<void> }> = [];
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
    await project?.dispose();
    project = undefined;
  });

  it('an alert rule fires when errors are injected and resolves when they stop; a local receiver is notified once per transition', async () => {
    project = await createTestProject();
    const failFile = join(project.dir, 'fail-now');
    const receiver = await startReceiver();
    receivers.push(receiver);
    project.writeConfig(
      `${project.config({
        env: { FAIL_FILE: failFile },
        environmentExtra: monitoringYaml(`
sampleInterval: 300ms
interval: 1s
window: 2s
errorPatterns: ['^ERROR injected']
alerts:
  - { name: high-errors, when: "errorRate > 20%", for: 1s, severity: critical }
`),
      })}notifications:
  channels:
    - { name: oncall-hook, url: "${receiver.url}", events: [alert-firing, alert-resolved] }
`,
    );
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    const monitor = spawnCli(project, ['monitor', 'production', '--interval', '1s']);
    const traffic = startTraffic(project.url, { everyMs: 40, maxRequests: 3_000, maxMs: 120_000 });
    try {
      await waitFor(
        () => Promise.resolve(monitor.stdout().includes('alert high-errors') ? true : undefined),
        30_000,
        'a round',
      );
      writeFileSync(failFile, '');
      const firing = await waitFor(
        async () => (await history(project!)).find((e) => e.kind === 'alert.firing'),
        40_000,
        'alert.firing',
      );
      expect(firing.message).toContain('high-errors firing (critical)');
      const [status] = JSON.parse(
        expectOk(await project.cli(['status', 'production', '--json'])).stdout,
      ) as Array<{
        monitoring: { alerts: Array<{ name: string; phase: string }> };
      }>;
      expect(status?.monitoring.alerts).toContainEqual(
        expect.objectContaining({ name: 'high-errors', phase: 'firing' }),
      );
      expect(traffic.counts.errors).toBeGreaterThan(0);
      rmSync(failFile);
      const resolved = await waitFor(
        async () => (await history(project!)).find((e) => e.kind === 'alert.resolved'),
        40_000,
        'alert.resolved',
      );
      expect(resolved.message).toContain('high-errors resolved');
      // A few more rounds without errors: nothing is written again.
      const okRounds = (monitor.stdout().match(/alert high-errors/g) ?? []).length;
      await waitFor(
        () =>
          Promise.resolve(
            (monitor.stdout().match(/alert high-errors/g) ?? []).length >= okRounds + 2 ? true : undefined,
          ),
        30_000,
        'two more rounds',
      );
    } finally {
      await traffic.stop();
      monitor.child.kill('SIGINT');
      await monitor.done;
    }
    const kinds = (await history(project)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'alert.firing')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'alert.resolved')).toHaveLength(1);
    // The 5xx answers are grouped for the release, with sample requests, and a burst was reported.
    const groups = JSON.parse(
      expectOk(await project.cli(['errors', 'production', '--json'])).stdout,
    ) as Array<{
      release: string;
      kind: string;
      count: number;
      sample: unknown;
    }>;
    const fivexx = groups.find((g) => g.kind === '5xx' && g.release === '1.0.0');
    expect(fivexx?.count).toBeGreaterThan(0);
    expect((fivexx?.sample as unknown[])[0]).toMatchObject({ method: 'GET', path: '/', status: 500 });
    expect(kinds).toContain('errors.burst');
    // Each transition reached the receiver once (the monitor waits for its deliveries before it exits).
    expect(receiver.bodies.map((b) => `${b.event}:${b.ledger.kind}`)).toEqual([
      'alert-firing:alert.firing',
      'alert-resolved:alert.resolved',
    ]);
    expect(receiver.bodies[0]).toMatchObject({ app: 'hello', environment: 'production', release: '1.0.0' });
    // The app's log lines matching the pattern are counted for the release too.
    const logged = groups.find((g) => g.kind === 'log' && g.release === '1.0.0');
    expect(logged?.count).toBeGreaterThan(0);
    expect(logged?.sample).toMatchObject({ stream: 'err', line: 'ERROR injected failure for GET /' });
  });

  it('a young release that crash-loops is reported with its stderr tail and rolled back', async () => {
    project = await createTestProject();
    const monitoring = monitoringYaml(`
sampleInterval: 300ms
interval: 1s
window: 1m
youngFor: 10m
crashLoop: { restarts: 2, within: 1m }
alerts:
  - { name: crashing, when: "restarts >= 2", severity: critical, rollback: true }
`);
    project.writeConfig(project.config({ environmentExtra: monitoring }));
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    project.writeConfig(project.config({ env: { CRASH_AFTER_MS: '1500' }, environmentExtra: monitoring }));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));

    const rolledBack = await waitFor(
      async () => {
        expectOk(await project!.cli(['monitor', 'production', '--once']));
        return (await history(project!)).find((e) => e.kind === 'deploy.rolled-back');
      },
      90_000,
      'deploy.rolled-back',
    );
    expect(rolledBack.message).toContain('rolled production back from 2.0.0 to 1.0.0: succeeded');
    const events = await history(project);
    const loop = events.find((e) => e.kind === 'crash-loop.detected');
    expect(loop?.release).toBe('2.0.0');
    expect(loop?.message).toContain('CRASH_AFTER_MS=1500: giving up');
    expect(events.find((e) => e.kind === 'alert.firing')?.message).toContain('crashing firing');
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');
    const groups = JSON.parse(
      expectOk(await project.cli(['errors', 'production', '--json'])).stdout,
    ) as Array<{
      release: string;
      kind: string;
      fingerprint: string;
    }>;
    expect(groups).toContainEqual(
      expect.objectContaining({ release: '2.0.0', kind: 'crash', fingerprint: 'exit code 4' }),
    );
  });

  // The bake acts on the first crash (the target is no longer healthy), so the loop is one restart long here: the
  // target crashes 4 s after each start, so a second crash would need the rollback to take over 4 s after the first
  // (with 1.5 s, a full run on a loaded machine once saw the restarted target crash again before it was stopped).
  it('a release that crashes during its bake is rolled back by the bake, and the crash is reported with its stderr tail', async () => {
    project = await createTestProject();
    const extra =
      monitoringYaml(`
sampleInterval: 300ms
interval: 1s
window: 1m
crashLoop: { restarts: 1, within: 1m }
`) + '    bake: { duration: 20s, interval: 300ms, rules: { healthy: true } }\n';
    project.writeConfig(project.config({ environmentExtra: extra }));
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    project.writeConfig(project.config({ env: { CRASH_AFTER_MS: '4000' }, environmentExtra: extra }));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));

    const deploy = await project.cli(['deploy', 'production', '--release', '2.0.0']);
    expect(deploy.code).toBe(1);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');
    expectOk(await project.cli(['monitor', 'production', '--once']));
    const events = await history(project);
    expect(events.find((e) => e.kind === 'bake.failed')?.release).toBe('2.0.0');
    expect(events.find((e) => e.kind === 'deploy.rolled-back')?.release).toBe('2.0.0');
    expect(events.some((e) => e.kind === 'release.marked-good' && e.release === '2.0.0')).toBe(false);
    const groups = JSON.parse(
      expectOk(await project.cli(['errors', 'production', '--json'])).stdout,
    ) as Array<{
      release: string;
      kind: string;
      fingerprint: string;
      sample: unknown;
    }>;
    const crash = groups.find((g) => g.release === '2.0.0' && g.kind === 'crash');
    expect(crash).toMatchObject({ fingerprint: 'exit code 4', count: 1 });
    expect(crash?.sample).toMatchObject({
      stderrTail: expect.stringContaining('CRASH_AFTER_MS=4000: giving up') as unknown,
    });
  });

  it('the access probe opens an incident when the public port stops answering, and resolves it', async () => {
    project = await createTestProject();
    project.writeConfig(
      project.config({
        environmentExtra: monitoringYaml(`
interval: 1s
probe: { failures: 2, timeout: 2s }
`),
      }),
    );
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    const deployed = expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    expect(deployed.stdout).toContain(`access: ${project.url}/ answered 200`);
    const round = async (): Promise<{
      probe: { ok: boolean; status: number | null; error: string | null };
      events: string[];
    }> =>
      JSON.parse(expectOk(await project!.cli(['monitor', 'production', '--once', '--json'])).stdout) as {
        probe: { ok: boolean; status: number | null; error: string | null };
        events: string[];
      };
    expect((await round()).probe).toMatchObject({ ok: true, status: 200 });
    // The agent (and with it the router on the public port) goes away; the targets keep running. Only monitor
    // rounds run meanwhile (they start no agent, nor does any verb that only reads).
    expectOk(await project.cli(['agent', 'stop']));
    const failed = [await round(), await round(), await round()];
    expect(failed.map((r) => r.probe.ok)).toEqual([false, false, false]);
    expect(failed[0]?.probe.error).toBe('ECONNREFUSED');
    // Two failures in a row open the incident; the third is the same incident.
    expect(failed.map((r) => r.events.filter((k) => k.startsWith('incident.')))).toEqual([
      [],
      ['incident.opened'],
      [],
    ]);
    expectOk(await project.cli(['agent', 'start'])); // it adopts its targets and listens again
    await waitFor(async () => ((await fetch(`${project!.url}/`)).ok ? true : undefined), 30_000, 'port back');
    expect((await round()).events).toContain('incident.resolved');
    const events = await history(project);
    expect(events.filter((e) => e.kind === 'incident.opened')).toHaveLength(1);
    expect(events.find((e) => e.kind === 'incident.opened')?.message).toContain('ECONNREFUSED');
    expect(events.filter((e) => e.kind === 'incident.resolved')).toHaveLength(1);
  });

  it('collection catches up after a lost link and leaves a gap where the agent sampled nothing', async () => {
    project = await createTestProject();
    const metricsPort = await freePort();
    project.writeConfig(
      project.config({
        environmentExtra: `    metricsPort: ${metricsPort}\n${monitoringYaml(`
sampleInterval: 250ms
interval: 1s
`)}`,
      }),
    );
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    const once = async (): Promise<{ hosts: Array<{ ok: boolean; samples: number }> }> =>
      JSON.parse(
        expectOk(await project!.cli(['monitor', 'production', '--once', '--json', '--no-probe'])).stdout,
      ) as {
        hosts: Array<{ ok: boolean; samples: number }>;
      };
    await once(); // sets the agent's sampling interval and the cursor
    await sleep(600);
    expect((await once()).hosts[0]?.ok).toBe(true);

    // The link is lost: the control plane cannot reach the agent's socket, the agent keeps sampling.
    const socket = join(project.dir, '.slipway', 'agent', 'agent.sock');
    renameSync(socket, `${socket}.away`);
    const cutAt = Date.now();
    let restoredAt = 0;
    try {
      await sleep(500);
      expect((await once()).hosts[0]).toMatchObject({ ok: false, samples: 0 });
      await sleep(1_500);
    } finally {
      restoredAt = Date.now();
      renameSync(`${socket}.away`, socket);
    }
    expect(existsSync(socket)).toBe(true);
    const caughtUp = await once();
    expect(caughtUp.hosts[0]?.ok).toBe(true);
    expect(caughtUp.hosts[0]?.samples).toBeGreaterThan(4);

    // The agent itself stops (SIGSTOP): nothing is sampled, so nothing may be stored for that time.
    const agentPid = project.agentPid() ?? 0;
    expect(agentPid).toBeGreaterThan(0);
    process.kill(agentPid, 'SIGSTOP');
    const stoppedAt = Date.now();
    let continuedAt = 0;
    try {
      expect((await once()).hosts[0]).toMatchObject({ ok: false, samples: 0 });
      await sleep(500);
    } finally {
      continuedAt = Date.now();
      process.kill(agentPid, 'SIGCONT');
    }
    await sleep(800);
    expect((await once()).hosts[0]?.ok).toBe(true);

    const store = await openSqliteStore(join(project.dir, '.slipway', 'slipway.db'));
    try {
      const memory = await store.listSamples({
        app: 'hello',
        environment: 'production',
        resolution: 'raw',
        metric: 'host.memory',
      });
      const times = memory.map((s) => s.atMs);
      // Caught up: samples the agent took while the link was down are in the store …
      expect(times.filter((t) => t > cutAt + 300 && t < restoredAt - 300).length).toBeGreaterThan(2);
      // … but none while the agent was stopped: a gap, not made-up values …
      expect(times.filter((t) => t > stoppedAt + 300 && t < continuedAt - 100)).toEqual([]);
      // … and sampling went on afterwards.
      expect(times.filter((t) => t > continuedAt).length).toBeGreaterThan(0);
      expect(new Set(times).size).toBe(times.length);
    } finally {
      await store.close();
    }

    // The agent serves the host's and targets' metrics in the Prometheus format, and top shows them.
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/^slipway_host_memory_percent \d/m);
    expect(text).toMatch(/^slipway_target_restarts_total\{app="hello",release="1.0.0",target="[^"]+"\} 0$/m);
    const top = expectOk(await project.cli(['top', 'production', '--once'])).stdout;
    expect(top).toMatch(/cpu \S+ {2}mem \d+%/);
    expect(top).toMatch(/hello-1\.0\.0-\S+ +1\.0\.0 +running/);
  });
});
