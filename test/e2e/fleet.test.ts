import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliWithInput } from '../helpers/terminal.js';
import { startLoad } from '../helpers/load-loop.js';
import { expectOk, freePort } from '../helpers/project.js';
import { createTestbed, type Testbed } from '../testbed/testbed.js';
import { fleetProject, spawnFleetCli, type Fleet } from './fleet-project.js';

// End to end on real SSH hosts: network namespaces with their own address, sshd and /var/lib/slipway,
// created by the testbed (root). The control plane and the edge router run on this machine.

describe('fleets over SSH on a testbed of 3 hosts', () => {
  let testbed: Testbed;
  let fleet: Fleet;

  beforeAll(async () => {
    testbed = await createTestbed({ hosts: 3, name: 'fleet' });
    fleet = fleetProject(testbed, await freePort());
  }, 120_000);

  afterAll(async () => {
    if (fleet) {
      await fleet.cli(['agent', 'stop', '--stop-targets']);
      rmSync(fleet.dir, { recursive: true, force: true });
    }
    await testbed?.destroy();
  }, 120_000);

  it('sets up every host and passes the preflight checks', async () => {
    const setup = expectOk(await fleet.cli(['setup', 'production']));
    for (const h of testbed.hosts) expect(setup.stdout).toContain(h.name);
    const again = expectOk(await fleet.cli(['setup', 'production']));
    expect(again.stdout).toMatch(/skipped|up to date|already/i);
    const check = expectOk(await fleet.cli(['check', 'production']));
    expect(check.stdout).not.toMatch(/\bfail\b/i);
  });

  it('deploys rolling, batch by batch, under load through the edge with no failed request', async () => {
    expectOk(await fleet.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await fleet.cli(['deploy', 'production', '--release', '1.0.0']));
    const url = `http://127.0.0.1:${fleet.edgePort}`;
    expect(await (await fetch(`${url}/`)).text()).toContain('hello 1.0.0');

    expectOk(await fleet.cli(['release', 'create', '--version', '2.0.0']));
    const load = startLoad(url, { concurrency: 4, maxMs: 120_000 });
    await load.warm();
    const deploy = expectOk(await fleet.cli(['deploy', 'production', '--release', '2.0.0']));
    const report = await load.stop();
    expect(deploy.stdout).toMatch(/batch 1\/3[\s\S]*batch 2\/3[\s\S]*batch 3\/3/);
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
    const status = JSON.parse(expectOk(await fleet.cli(['status', 'production', '--json'])).stdout) as Array<{
      hosts: Array<{
        host: string;
        route: { active: string } | null;
        targets: Array<{ id: string; release: string }>;
      }>;
    }>;
    for (const h of status[0]?.hosts ?? []) {
      expect(h.targets.find((t) => t.id === h.route?.active)?.release).toBe('2.0.0');
    }
  });

  it('rolls the whole fleet back at once, a switch on every host, under load', async () => {
    const url = `http://127.0.0.1:${fleet.edgePort}`;
    const load = startLoad(url, { concurrency: 4, maxMs: 60_000 });
    await load.warm();
    const rollback = expectOk(await fleet.cli(['rollback', 'production']));
    const report = await load.stop();
    expect(rollback.stdout).not.toMatch(/start\s+1\.0\.0/);
    expect(report.failed).toBe(0);
    expect(await (await fetch(`${url}/`)).text()).toContain('hello 1.0.0');
  });

  it('deploys blue/green across the fleet: new release everywhere, verified everywhere, switched together', async () => {
    fleet.writeConfig({ strategy: '      kind: blue-green\n      keepWarm: 5m\n      drainTimeout: 5s' });
    expectOk(await fleet.cli(['release', 'create', '--version', '2.1.0']));
    const url = `http://127.0.0.1:${fleet.edgePort}`;
    const load = startLoad(url, { concurrency: 4, maxMs: 120_000 });
    await load.warm();
    const deploy = expectOk(await fleet.cli(['deploy', 'production', '--release', '2.1.0']));
    const report = await load.stop();
    fleet.writeConfig();
    // One stage per phase across all hosts: every host verified before any switch.
    const verify = deploy.stdout.indexOf('stage verify');
    const switchAt = deploy.stdout.indexOf('stage switch');
    expect(verify).toBeGreaterThan(-1);
    expect(switchAt).toBeGreaterThan(verify);
    for (const h of testbed.hosts)
      expect(deploy.stdout.slice(verify, switchAt)).toContain(`health check 2.1.0 on ${h.name}`);
    expect(report.failed).toBe(0);
    expect(await (await fetch(`${url}/`)).text()).toContain('hello 2.1.0');
  });

  it('follows the logs of every host at once until Ctrl-C', async () => {
    const follow = spawnFleetCli(fleet, ['logs', 'production', '--follow', '-n', '5']);
    // Each host's serving target says it listens; each line names its host.
    const targets = (): Set<string> =>
      new Set([...follow.stdout().matchAll(/^(\S+) \S+ │ hello 2\.1\.0 listening/gm)].map((m) => m[1] ?? ''));
    const deadline = Date.now() + 30_000;
    while (targets().size < testbed.hosts.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    follow.interrupt();
    expect(await follow.done).toBe(0);
    expect([...targets()].sort(), follow.stdout() + follow.stderr()).toEqual(
      testbed.hosts.map((h) => h.name).sort(),
    );
  });

  it('slipway run runs a command on the host asked for, in its serving release, and returns its exit code', async () => {
    const host = testbed.hosts[1]!;
    const run = await fleet.cli([
      'run',
      'production',
      '--host',
      host.name,
      '--',
      'sh',
      '-c',
      'echo "release=$SLIPWAY_RELEASE dir=$(basename "$PWD")"; ip -o -4 addr show; exit 5',
    ]);
    expect(run.code, run.stderr).toBe(5);
    expect(run.stdout).toContain('release=2.1.0 dir=2.1.0');
    // It ran inside that host's network namespace: its address is there.
    expect(run.stdout).toContain(`${host.address}/`);
    expect(run.stderr).toContain(`ran on ${host.name} in 2.1.0: exit 5`);

    // Several hosts: where to run is said, never guessed.
    const unsaid = await fleet.cli(['run', 'production', '--', 'true']);
    expect(unsaid.code, unsaid.stderr).toBe(2);
    expect(unsaid.stderr).toContain(`(${testbed.hosts.map((h) => h.name).join(', ')}): say where to run`);

    // --any passes over a host that does not answer, to the next that serves.
    const [first, second] = testbed.hosts;
    if (!first || !second) throw new Error('testbed has 3 hosts');
    await first.cutLink();
    try {
      const any = await fleet.cli([
        'run',
        'production',
        '--any',
        '--',
        'sh',
        '-c',
        'echo on $SLIPWAY_RELEASE',
      ]);
      expect(any.code, any.stderr).toBe(0);
      expect(any.stdout).toContain('on 2.1.0');
      expect(any.stderr).toContain(`ran on ${second.name} in 2.1.0: exit 0`);
    } finally {
      await first.restoreLink();
    }
  });

  it('slipway run -t gives the command a terminal on the host over SSH, with its secrets off the command line', async () => {
    const host = testbed.hosts[1]!;
    const leftovers = async (): Promise<string> =>
      (await host.exec(['sh', '-c', 'ls -d /tmp/tmp.*/env 2>/dev/null | sort'])).stdout;
    const before = await leftovers();
    const run = await runCliWithInput(
      [
        '-c',
        join(fleet.dir, 'slipway.yml'),
        'run',
        'production',
        '--host',
        host.name,
        '-t',
        '--',
        'sh',
        '-c',
        'tty; echo "dir=$(basename "$PWD")"; ip -o -4 addr show; printf "name? "; read name; echo "got=$name"; exit 6',
      ],
      'Grace\n',
      { terminal: true, typeAfterMs: 3000 },
    );
    expect(run.output).toMatch(/\/dev\/pts\/\d+/);
    expect(run.output).toContain('dir=2.1.0');
    expect(run.output).toContain(`${host.address}/`);
    expect(run.output).toContain('got=Grace');
    expect(run.output).toContain(`ran on ${host.name} in 2.1.0: exit 6`);
    expect(run.code, run.output).toBe(6);
    // The file that carried the environment over is gone once the command started.
    expect(await leftovers()).toBe(before);
  });

  it('upgrades an agent without dropping a request on its own public port: the router process keeps serving', async () => {
    const first = testbed.hosts[0];
    if (!first) throw new Error('testbed has 3 hosts');
    // Make h1's agent bundle differ from ours, as an older version would: setup must replace and restart it.
    expect(
      (await first.exec(['sh', '-c', 'echo "// older build" >> /var/lib/slipway/bin/agent.js'])).code,
    ).toBe(0);
    // Straight at the host's router, not through the edge: no edge drain covers the restart any more.
    const load = startLoad(`http://${first.address}:8420`, {
      concurrency: 4,
      maxMs: 60_000,
      timeoutMs: 5_000,
    });
    await load.warm();
    const setup = expectOk(await fleet.cli(['setup', 'production']));
    const report = await load.stop();
    expect(setup.stdout).toMatch(new RegExp(`${first.name}.*agent.js uploaded`));
    expect(setup.stdout).toMatch(/the router process \(pid \d+\) kept serving the public ports/);
    expect(setup.stdout).not.toContain('out of the edge');
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
  });

  it('keeps users served when a host loses its link in the middle of a deploy, and --resume finishes it', async () => {
    fleet.writeConfig({
      strategy:
        '      kind: rolling\n      batchSize: 1\n      onBatchFailure: stop\n      keepWarm: 5m\n      drainTimeout: 5s',
    });
    expectOk(await fleet.cli(['release', 'create', '--version', '3.0.0']));
    const url = `http://127.0.0.1:${fleet.edgePort}`;
    const load = startLoad(url, { concurrency: 4, maxMs: 180_000 });
    await load.warm();
    const third = testbed.hosts[2];
    if (!third) throw new Error('testbed has 3 hosts');
    const deploy = spawnFleetCli(fleet, ['deploy', 'production', '--release', '3.0.0']);
    const deadline = Date.now() + 60_000;
    while (!deploy.stdout().includes('batch 2/3') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await third.cutLink();
    const code = await deploy.done;
    expect(code).not.toBe(0);
    expect(deploy.stdout() + deploy.stderr()).toMatch(
      new RegExp(`${third.name}|${third.address.replace(/\./g, '\\.')}`),
    );
    // The edge noticed: users kept being served by the other hosts.
    expect(await (await fetch(`${url}/`)).text()).toMatch(/hello [13]\.0\.0/);
    await third.restoreLink();
    const resumed = expectOk(await fleet.cli(['deploy', 'production', '--resume']));
    const report = await load.stop();
    expect(resumed.stdout).toContain('3.0.0 is live');
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    const status = JSON.parse(expectOk(await fleet.cli(['status', 'production', '--json'])).stdout) as Array<{
      hosts: Array<{ route: { active: string } | null; targets: Array<{ id: string; release: string }> }>;
    }>;
    for (const h of status[0]?.hosts ?? []) {
      expect(h.targets.find((t) => t.id === h.route?.active)?.release).toBe('3.0.0');
    }
    fleet.writeConfig();
  });

  it('survives the agent of one host being killed with SIGKILL mid-deploy, with a consistent ledger', async () => {
    expectOk(await fleet.cli(['release', 'create', '--version', '4.0.0']));
    const second = testbed.hosts[1];
    if (!second) throw new Error('testbed has 3 hosts');
    const deploy = spawnFleetCli(fleet, ['deploy', 'production', '--release', '4.0.0']);
    const deadline = Date.now() + 60_000;
    while (!deploy.stdout().includes('batch 1/3') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const pid = (await second.exec(['cat', '/var/lib/slipway/agent/agent.pid'])).stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    expect((await second.exec(['kill', '-KILL', pid])).code).toBe(0);
    const code = await deploy.done;
    const output = deploy.stdout() + deploy.stderr();
    // Either the next call reached a new agent (the bridge starts one; it adopts the running targets) and the
    // deploy went on, or it stopped with an error naming the host. Never a half-written record.
    if (code === 0) expect(output).toContain('4.0.0 is live');
    else expect(output).toMatch(new RegExp(second.name));
    // The environment's history also holds its hosts' agent events (the new agent's `agent.started` may be the
    // newest: this very command's sync can start it); the deployment's own last event must say how it ended.
    const events = JSON.parse(
      expectOk(await fleet.cli(['history', 'production', '--json', '--limit', '20'])).stdout,
    ) as Array<{ kind: string }>;
    const latest = events.find((e) => e.kind.startsWith('deploy.'));
    expect(latest?.kind).toMatch(/^deploy\.(succeeded|failed|rolled-back)$/);
    const status = expectOk(await fleet.cli(['status', 'production']));
    expect(status.stdout).toContain(second.name);
    expect(status.stdout).not.toContain('unreachable');
    if (code !== 0) expectOk(await fleet.cli(['deploy', 'production', '--release', '4.0.0']));
    expect(await (await fetch(`http://127.0.0.1:${fleet.edgePort}/`)).text()).toContain('hello 4.0.0');
  });

  it('aborts a host-batched canary (one host first) of a bad version; every host goes back to stable', async () => {
    const canary =
      '      kind: canary\n      steps:\n        - setHosts: 1\n        - analysis: { timeout: 60s }\n      analysis:\n        interval: 300ms\n        minRequests: 30';
    // The release snapshots its env (5xx on 30% of requests); the strategy is read at deploy time.
    fleet.writeConfig({ env: { ERROR_RATE: '0.3' }, strategy: canary });
    expectOk(await fleet.cli(['release', 'create', '--version', '4.1.0-bad']));
    const url = `http://127.0.0.1:${fleet.edgePort}`;
    const load = startLoad(url, { concurrency: 4, maxMs: 120_000 });
    await load.warm();
    const deploy = await fleet.cli(['deploy', 'production', '--release', '4.1.0-bad']);
    const report = await load.stop();
    fleet.writeConfig();
    expect(deploy.code).toBe(1);
    expect(deploy.stdout).toContain('canary on 1 of 3 hosts');
    expect(deploy.stderr).toMatch(/canary analysis failed: canary 5xx rate/);
    // Failures came only from the canary host (its injected 500s name their release), until the abort.
    expect(report.failures.every((f) => f === 'status 500')).toBe(true);
    expect(report.failedByRelease['4.0.0'] ?? 0).toBe(0);
    expect(report.failed).toBe(report.failedByRelease['4.1.0-bad']);
    expect(report.byRelease['4.0.0']).toBeGreaterThan(0);
    for (let i = 0; i < 6; i++) expect(await (await fetch(`${url}/`)).text()).toContain('hello 4.0.0');
    const status = JSON.parse(expectOk(await fleet.cli(['status', 'production', '--json'])).stdout) as Array<{
      hosts: Array<{ route: { active: string } | null; targets: Array<{ id: string; release: string }> }>;
    }>;
    for (const h of status[0]?.hosts ?? []) {
      expect(h.targets.find((t) => t.id === h.route?.active)?.release).toBe('4.0.0');
      expect(h.targets.map((t) => t.release)).not.toContain('4.1.0-bad');
    }
  });

  it("judges a quiet weighted canary by probe traffic sent to the hosts' routers, and aborts a bad one", async () => {
    // No user traffic at all: only the control plane's probes (to each canary host's router on its own address,
    // with the opt-in header) can give the analysis samples. 127.0.0.1:8420 here serves nothing.
    const canary =
      '      kind: canary\n      steps:\n        - setWeight: 30\n        - analysis: { timeout: 30s }\n      analysis:\n        interval: 300ms\n        minRequests: 30\n        probe: { ratePerSecond: 40 }';
    fleet.writeConfig({ env: { ERROR_RATE: '0.3' }, strategy: canary });
    expectOk(await fleet.cli(['release', 'create', '--version', '4.2.0-bad']));
    const deploy = await fleet.cli(['deploy', 'production', '--release', '4.2.0-bad']);
    fleet.writeConfig();
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/5xx/);
    const events = JSON.parse(
      expectOk(await fleet.cli(['history', 'production', '--json', '--limit', '40'])).stdout,
    ) as Array<{ kind: string; release: string | null; data?: unknown }>;
    const ended = events.find(
      (e) => e.release === '4.2.0-bad' && (e.kind === 'canary.tripped' || e.kind === 'canary.verdict'),
    );
    expect(ended).toBeDefined();
    for (let i = 0; i < 6; i++)
      expect(await (await fetch(`http://127.0.0.1:${fleet.edgePort}/`)).text()).toContain('hello 4.0.0');
    const status = JSON.parse(expectOk(await fleet.cli(['status', 'production', '--json'])).stdout) as Array<{
      hosts: Array<{ targets: Array<{ release: string }> }>;
    }>;
    for (const h of status[0]?.hosts ?? [])
      expect(h.targets.map((t) => t.release)).not.toContain('4.2.0-bad');
  });

  it('refuses an unknown host key, naming the host and its fingerprint', async () => {
    const empty = join(fleet.dir, 'empty_known_hosts');
    writeFileSync(empty, '');
    fleet.writeConfig({ knownHosts: empty });
    const check = await fleet.cli(['check', 'production']);
    fleet.writeConfig();
    expect(check.code).not.toBe(0);
    expect(check.stdout + check.stderr).toContain(testbed.hosts[0]?.hostKeyFingerprint ?? 'SHA256');
    expect(check.stdout + check.stderr).toMatch(/--trust-new-hosts/);
  });

  it('names the user when authentication fails', async () => {
    fleet.writeConfig({ user: 'nobody-here' });
    const check = await fleet.cli(['check', 'production']);
    fleet.writeConfig();
    expect(check.code).not.toBe(0);
    expect(check.stdout + check.stderr).toMatch(/nobody-here/);
  });

  it('refuses to deploy to a host whose disk is full, before anything changes', async () => {
    const first = testbed.hosts[0];
    if (!first) throw new Error('testbed has 3 hosts');
    // Room for what is there (node, the agent, releases), not for another release: below the preflight's need.
    await first.useTinyDisk(160 * 1024 * 1024);
    expectOk(await fleet.cli(['release', 'create', '--version', '5.0.0']));
    const deploy = await fleet.cli(['deploy', 'production', '--release', '5.0.0']);
    expect(deploy.code).not.toBe(0);
    expect(deploy.stdout + deploy.stderr).toMatch(new RegExp(`${first.name}[\\s\\S]*disk`));
    const recent = JSON.parse(
      expectOk(await fleet.cli(['history', 'production', '--json', '--limit', '20'])).stdout,
    ) as Array<{ kind: string; release: string | null }>;
    // Refused before a deployment was recorded: no deploy event of the environment names 5.0.0.
    expect(recent.filter((e) => e.kind.startsWith('deploy.')).map((e) => e.release)).not.toContain('5.0.0');
    expect(await (await fetch(`http://127.0.0.1:${fleet.edgePort}/`)).text()).toContain('hello 4.0.0');
  });
});
