// Fleets through `slipway server`: the same deploys and warm rollbacks as bench/fleet-bench.mjs, but sent to a
// running server (`slipway --server URL …`), which keeps one SSH connection per host open between commands;
// and, in the same run on the same hosts, the same commands run by the CLI on its own (a connection per host per
// command). One environment `solo` on one host and `production` on 20 others (an app's environments cannot
// share a host), so "20 hosts against one host" is measured with the same server and store.
//
// A module of bench/run.mjs (`node bench/run.mjs fleet-server`, by name only: root, ~6 minutes), or on its own:
// `node bench/fleet-server-bench.mjs`, which writes bench/results/fleet-server.{json,md}.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, runChecked, verifyServing } from './lib/fleet-run.mjs';
import { HEALTH, renderFleetConfig } from './lib/fleet-slipway.mjs';
import { loadTestbed } from './lib/fleet-testbed.mjs';
import { ProcessGroup, sleep } from './lib/processes.mjs';

export const name = 'fleet-server';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const TEARDOWN_SCRIPT = join(ROOT, 'bench', 'lib', 'fleet-teardown.mjs');
const PORT = 8420;

function settings(env = process.env) {
  return {
    hosts: Number(env.BENCH_FLEET_SERVER_HOSTS ?? 20),
    rounds: Number(env.BENCH_FLEET_SERVER_ROUNDS ?? 3),
    rollbacks: Number(env.BENCH_FLEET_SERVER_ROLLBACKS ?? 5),
  };
}

/** @param {{ group: ProcessGroup, log: (line: string) => void }} ctx */
export async function run({ group, log }) {
  const s = settings();
  if (!existsSync(CLI)) throw new Error('dist/cli.js: run `npm run build` first');
  const { createTestbed, testbedSupported } = await loadTestbed();
  const support = testbedSupported();
  if (!support.ok) throw new Error(`the fleet-server benchmark needs the testbed: ${support.why}`);

  const loadAvgAtStart = os.loadavg().map((n) => Math.round(n * 100) / 100);
  log(`  creating a testbed of ${s.hosts + 1} hosts`);
  const testbed = await createTestbed({ hosts: s.hosts + 1, name: 'fleetsrv' });
  const slot = Number(testbed.hosts[0].address.split('.')[2]);
  // Short path: the local state holds unix sockets.
  const dir = mkdtempSync(join(tmpdir(), 'sw-fsrv-'));
  const onSignal = () => {
    spawnSync(process.execPath, [TEARDOWN_SCRIPT, String(slot)], { stdio: 'inherit', timeout: 120_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let server = null;
  try {
    const file = writeProject(dir, testbed);
    const env = { ...process.env, NO_COLOR: '1' };
    const local = (args) =>
      runChecked(group, `slipway ${args[0]}`, process.execPath, [CLI, '-c', file, ...args], {
        env,
        timeoutMs: 300_000,
      });
    await local(['setup', 'solo']);
    await local(['setup', 'production']);
    const token = (await local(['token', 'create', '--subject', 'bench', '--role', 'admin'])).stdout.trim();

    server = await startServer(group, file, env);
    log(`  slipway server at ${server.url} (pid ${server.pid})`);
    const remoteEnv = { ...env, SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: token };
    const remote = (args) =>
      runChecked(group, `slipway --server ${args[0]}`, process.execPath, [CLI, ...args], {
        env: remoteEnv,
        timeoutMs: 300_000,
      });
    const hostsOf = { solo: testbed.hosts.slice(0, 1), production: testbed.hosts.slice(1) };

    // Not timed: a first release everywhere, through the server (so its connections are open).
    await local(['release', 'create', '--version', '0.0.1']);
    for (const e of ['solo', 'production']) await remote(['deploy', e, '--release', '0.0.1']);

    const deploys = [];
    for (let round = 1; round <= s.rounds; round++) {
      for (const via of round % 2 === 1 ? ['server', 'cli'] : ['cli', 'server']) {
        const version = `${round}.0.${via === 'server' ? 1 : 2}`;
        await local(['release', 'create', '--version', version]);
        for (const e of round % 2 === 1 ? ['solo', 'production'] : ['production', 'solo']) {
          const args = ['deploy', e, '--release', version];
          const cpuBefore = machineCpuMs();
          const r = via === 'server' ? await remote(args) : await local(args);
          const cpuMs = machineCpuMs() - cpuBefore;
          await verifyServing(hostsOf[e], PORT, version);
          deploys.push({ round, via, environment: e, hosts: hostsOf[e].length, ms: r.ms, cpuMs });
          log(
            `  round ${round}: deploy ${e} (${hostsOf[e].length} hosts) via ${via}: ${fmt(r.ms)} ms, machine CPU ${fmt(cpuMs)} ms`,
          );
        }
      }
    }

    // Warm rollbacks on the 20 hosts: back and forth, each a switch on every host; via the server and via the
    // CLI alone, alternating.
    const rollbacks = [];
    for (let i = 0; i < s.rollbacks * 2; i++) {
      const via = i % 2 === 0 ? 'server' : 'cli';
      const r =
        via === 'server' ? await remote(['rollback', 'production']) : await local(['rollback', 'production']);
      const to = /^Rolling back \S+ (\S+) to /m.exec(r.stdout)?.[1] ?? null;
      if (to) await verifyServing(hostsOf.production, PORT, to);
      rollbacks.push({ via, ms: r.ms, to, startedTargets: /\bstart\s+\d/.test(r.stdout) });
      log(`  rollback production (${s.hosts} hosts) via ${via} → ${to ?? '?'}: ${fmt(r.ms)} ms`);
    }

    const med = (filter) => median(deploys.filter(filter).map((d) => d.ms));
    const summary = {};
    for (const via of ['server', 'cli']) {
      const one = med((d) => d.via === via && d.environment === 'solo');
      const many = med((d) => d.via === via && d.environment === 'production');
      summary[via] = {
        deployOneHostMedianMs: one,
        deployFleetMedianMs: many,
        fleetOverOneHost: many / one,
        cpuOneHostMedianMs: median(
          deploys.filter((d) => d.via === via && d.environment === 'solo').map((d) => d.cpuMs),
        ),
        cpuFleetMedianMs: median(
          deploys.filter((d) => d.via === via && d.environment === 'production').map((d) => d.cpuMs),
        ),
        rollbackFleetMedianMs: median(rollbacks.filter((r) => r.via === via).map((r) => r.ms)),
      };
    }
    const json = {
      settings: { ...s, health: HEALTH, port: PORT },
      loadAvgAtStart,
      deploys,
      rollbacks,
      summary,
    };
    return { json, markdown: renderMarkdown(json) };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (server) await group.stop(server.pid, 10_000);
    await testbed.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** examples/hello with `solo` on the first host and `production` on the others. */
function writeProject(dir, testbed) {
  cpSync(join(ROOT, 'examples', 'hello'), dir, {
    recursive: true,
    filter: (src) => !src.includes('.slipway'),
  });
  const [first, ...others] = testbed.hosts;
  const file = join(dir, 'slipway.yml');
  writeFileSync(
    file,
    renderFleetConfig(
      { solo: { hosts: [first], parallelism: 1 }, production: { hosts: others, parallelism: others.length } },
      { clientKeyPath: testbed.clientKeyPath, knownHostsPath: testbed.knownHostsPath, port: PORT },
    ),
  );
  return file;
}

/** `slipway server` on a free loopback port; resolves with its URL once it prints it. */
async function startServer(group, file, env) {
  const proc = group.start(
    'slipway server',
    process.execPath,
    [CLI, '-c', file, 'server', '--listen', '127.0.0.1:0'],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const url = await Promise.race([
    new Promise((resolve) => {
      proc.lines.on('line', (line) => {
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m) resolve(m[1]);
      });
    }),
    proc.exited.then(() => null),
    sleep(30_000).then(() => null),
  ]);
  if (!url) throw new Error(`slipway server did not start: ${proc.stderrTail() || 'no output'}`);
  return { url, pid: proc.pid };
}

/**
 * CPU time used by the whole machine so far (every core, user + system, ms): the testbed's hosts share this
 * machine's cores, so a deploy to 20 "hosts" cannot take less wall time than its CPU time over the core count.
 */
function machineCpuMs() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq] = fields.map(Number);
  return ((user + nice + system + irq + softirq) * 1000) / 100; // USER_HZ is 100 on Linux
}

const fmt = (ms) => (Number.isFinite(ms) ? ms.toFixed(0) : '—');

function renderMarkdown(j) {
  const row = (label, via) =>
    `| ${label} | ${fmt(j.summary[via].deployOneHostMedianMs)} ms | ${fmt(j.summary[via].deployFleetMedianMs)} ms | ${j.summary[via].fleetOverOneHost.toFixed(2)}× | ${fmt(j.summary[via].cpuOneHostMedianMs)} ms / ${fmt(j.summary[via].cpuFleetMedianMs)} ms | ${fmt(j.summary[via].rollbackFleetMedianMs)} ms |`;
  return [
    `## Fleets through slipway server (${j.settings.hosts} hosts, and one host)`,
    ``,
    `${j.settings.rounds} rounds of deploys of a new release to 1 host and to ${j.settings.hosts} hosts, and ${j.settings.rollbacks} warm rollbacks on the ${j.settings.hosts} hosts, each via the server and via the CLI alone, alternating. Wall time of the \`slipway\` command, median. Machine CPU: CPU time used by the whole machine (all ${os.cpus().length} cores) during the command; the testbed's hosts share these cores. Load average at start: ${j.loadAvgAtStart.join(' ')}.`,
    ``,
    `| how | deploy, 1 host | deploy, ${j.settings.hosts} hosts | ${j.settings.hosts} hosts / 1 host | machine CPU, 1 host / ${j.settings.hosts} hosts | warm rollback, ${j.settings.hosts} hosts |`,
    `| --- | --- | --- | --- | --- | --- |`,
    row('`slipway --server URL …` (server keeps the connections)', 'server'),
    row('`slipway …` (the CLI alone)', 'cli'),
    ``,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const group = new ProcessGroup();
  try {
    const result = await run({ group, log: (line) => console.log(line) });
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'fleet-server.json'), `${JSON.stringify(result.json, null, 2)}\n`);
    writeFileSync(join(dir, 'fleet-server.md'), result.markdown);
    console.log(result.markdown);
  } finally {
    await group.stopAll();
  }
}
