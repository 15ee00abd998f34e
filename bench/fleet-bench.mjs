// Fleets over SSH: the time to deploy a new release to 1, 5, 10 and 20 testbed hosts with `slipway deploy`
// (default blue-green) and, on the same hosts in the same run, the same job done by Ansible and by Capistrano;
// then warm fleet rollbacks on all hosts. See docs/benchmarks.md ("Fleets over SSH").
//
// A module of bench/run.mjs (`name`, `run(ctx)`), or on its own: `node bench/fleet-bench.mjs`, which writes
// bench/results/fleet.{json,md}. Needs root (the testbed: test/testbed/README.md), the bundles (`npm run build`),
// and Debian's ansible and capistrano.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAnsibleRunner } from './lib/fleet-ansible.mjs';
import { createCapistranoRunner } from './lib/fleet-capistrano.mjs';
import { median, verifyServing, versionOf, which } from './lib/fleet-run.mjs';
import { HEALTH, createSlipwayProject } from './lib/fleet-slipway.mjs';
import { loadTestbed } from './lib/fleet-testbed.mjs';
import { ProcessGroup } from './lib/processes.mjs';

export const name = 'fleet';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const RESTART_SCRIPT = join(ROOT, 'bench', 'lib', 'fleet-restart.sh');
const TEARDOWN_SCRIPT = join(ROOT, 'bench', 'lib', 'fleet-teardown.mjs');
const SLIPWAY_PORT = 8420;
/** Each tool deploys into its own directory on every host and serves on its own port there. */
const BASES = {
  ansible: { base: '/var/lib/slipway/ansible', port: 8501 },
  'ansible-forks5': { base: '/var/lib/slipway/ansible-forks5', port: 8503 },
  capistrano: { base: '/var/lib/slipway/capistrano', port: 8502 },
};
const ANSIBLE_DEFAULT_FORKS = 5;
const SLIPWAY_DEFAULT_PARALLELISM = 10;

function settings(env = process.env) {
  const sizes = (env.BENCH_FLEET_SIZES ?? '1,5,10,20')
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
  if (sizes.length === 0) throw new Error('BENCH_FLEET_SIZES: expected e.g. 1,5,10,20');
  return {
    sizes,
    rounds: Number(env.BENCH_FLEET_ROUNDS ?? 2),
    rollbacks: Number(env.BENCH_FLEET_ROLLBACKS ?? 5),
  };
}

/** The cases of one size; variants that would behave exactly like another case at this size are left out. */
function casesFor(size, maxSize) {
  const { parallelism, forks } = wide(maxSize);
  const cases = [
    { id: 'slipway', label: `Slipway (parallelism ${parallelism})`, tool: 'slipway', parallelism },
  ];
  if (size > SLIPWAY_DEFAULT_PARALLELISM)
    cases.push({
      id: 'slipway-default',
      label: `Slipway (default parallelism ${SLIPWAY_DEFAULT_PARALLELISM})`,
      tool: 'slipway',
      parallelism: SLIPWAY_DEFAULT_PARALLELISM,
    });
  cases.push({ id: 'ansible', label: `Ansible (forks ${forks})`, tool: 'ansible', forks });
  if (size > ANSIBLE_DEFAULT_FORKS)
    cases.push({
      id: 'ansible-forks5',
      label: `Ansible (default forks ${ANSIBLE_DEFAULT_FORKS})`,
      tool: 'ansible',
      forks: ANSIBLE_DEFAULT_FORKS,
    });
  cases.push({ id: 'capistrano', label: 'Capistrano', tool: 'capistrano' });
  return cases;
}

/** Parallelism and forks that cover every host of the largest fleet (never below the tools' defaults). */
function wide(maxSize) {
  return {
    parallelism: Math.max(maxSize, SLIPWAY_DEFAULT_PARALLELISM),
    forks: Math.max(maxSize, ANSIBLE_DEFAULT_FORKS),
  };
}

function requirements() {
  const missing = [];
  if (!existsSync(CLI)) missing.push('dist/cli.js: run `npm run build` first');
  if (!which('ansible-playbook') || !which('cap'))
    missing.push(
      'ansible-playbook and cap: `apt-get update && apt-get install -y ansible capistrano` (Debian packages)',
    );
  if (!which('curl'))
    missing.push('curl (the restart script polls /healthz with it): `apt-get install -y curl`');
  return missing;
}

/** `workDir`: Ansible's home and local temp directory go there, not to ~/.ansible. */
function toolVersions(workDir) {
  const ansibleEnv = {
    ...process.env,
    ANSIBLE_HOME: join(workDir, 'ansible-version-home'),
    ANSIBLE_LOCAL_TEMP: join(workDir, 'ansible-version-home', 'tmp'),
  };
  return {
    node: process.versions.node,
    ansibleCore: versionOf('ansible', ['--version'], /ansible \[core ([^\]]+)\]/, ansibleEnv),
    capistrano: versionOf('cap', ['--version'], /Capistrano Version: (\S+)/),
    ruby: versionOf('ruby', ['--version'], /ruby (\S+)/),
    netSsh: versionOf('ruby', ['-e', 'require "net/ssh"; puts Net::SSH::Version::STRING'], /(\S+)/),
    openssh: versionOf('sh', ['-c', 'ssh -V 2>&1'], /(OpenSSH_[^,\s]+)/),
  };
}

/** @param {{ group: ProcessGroup, log: (line: string) => void }} ctx */
export async function run({ group, log }) {
  const s = settings();
  const missing = requirements();
  if (missing.length > 0) throw new Error(`the fleet benchmark needs:\n  - ${missing.join('\n  - ')}`);
  const { createTestbed, testbedSupported } = await loadTestbed();
  const support = testbedSupported();
  if (!support.ok) throw new Error(`the fleet benchmark needs the testbed: ${support.why}`);

  const maxSize = s.sizes[s.sizes.length - 1];
  const loadAvgAtStart = os.loadavg().map((n) => Math.round(n * 100) / 100);
  log(`  creating a testbed of ${maxSize} hosts`);
  const testbed = await createTestbed({ hosts: maxSize, name: 'fleetbench' });
  const slot = Number(testbed.hosts[0].address.split('.')[2]);
  const workDir = mkdtempSync(join(tmpdir(), 'sw-fleet-bench-'));
  const versions = toolVersions(workDir);
  let slipway;

  // Interrupted (Ctrl-C): bench/run.mjs (or main() below) stops the ProcessGroup and exits; the testbed must go
  // first. Synchronous on purpose: the handler blocks until the teardown has finished.
  const onSignal = () => {
    spawnSync(process.execPath, [TEARDOWN_SCRIPT, String(slot)], { stdio: 'inherit', timeout: 120_000 });
    rmSync(workDir, { recursive: true, force: true });
    if (slipway) slipway.dispose();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const common = { group, clientKeyPath: testbed.clientKeyPath, knownHostsPath: testbed.knownHostsPath };
    slipway = createSlipwayProject({ ...common, port: SLIPWAY_PORT });
    const runners = {
      ansible: createAnsibleRunner({ ...common, ...BASES.ansible, dir: mkdir(workDir, 'ansible') }),
      'ansible-forks5': createAnsibleRunner({
        ...common,
        ...BASES['ansible-forks5'],
        dir: mkdir(workDir, 'ansible-forks5'),
      }),
      capistrano: createCapistranoRunner({
        ...common,
        ...BASES.capistrano,
        dir: mkdir(workDir, 'capistrano'),
      }),
    };

    // One-time preparation, not timed: the other tools' directories and restart script on every host
    // (Slipway's counterpart is `slipway setup`: node and the agent).
    await Promise.all(testbed.hosts.map((h) => prepareHost(h)));
    slipway.useHosts(testbed.hosts, wide(maxSize).parallelism);
    const setup = await slipway.cli(['setup', 'production']);
    log(`  slipway setup on ${maxSize} hosts: ${(setup.ms / 1000).toFixed(1)} s (not timed below)`);

    let artifactBytes = 0;
    const createRelease = async (version) => {
      const release = await slipway.createRelease(version);
      artifactBytes = release.bytes;
      return release;
    };

    /** Runs one case (a deploy of `release` to `hosts`), checks every host serves it, returns the timing. */
    const deployCase = async (c, hosts, release) => {
      let timing;
      if (c.tool === 'slipway') {
        slipway.useHosts(hosts, c.parallelism);
        const r = await slipway.deploy(release.version);
        timing = { ms: r.ms, executorMs: r.executorMs, beforePlanMs: r.beforePlanMs };
      } else {
        const r = await runners[c.id].deploy({ ...release, forks: c.forks });
        timing = { ms: r.ms };
      }
      await verifyServing(hosts, c.tool === 'slipway' ? SLIPWAY_PORT : BASES[c.id].port, release.version);
      return timing;
    };

    const sizes = [];
    for (const size of s.sizes) {
      const hosts = testbed.hosts.slice(0, size);
      const cases = casesFor(size, maxSize);
      for (const id of Object.keys(runners)) runners[id].useHosts(hosts);

      // Not timed: every tool's first release on these hosts (so that each timed deploy replaces one).
      const prep = await createRelease(`${size}.0.0`);
      for (const c of cases.filter((x) => x.id !== 'slipway-default')) await deployCase(c, hosts, prep);
      log(`  ${size} host${size === 1 ? '' : 's'}: prepared (${prep.version} everywhere)`);

      // Where the time before the plan goes: each of these is one CLI run (not part of the comparison).
      slipway.useHosts(hosts, wide(maxSize).parallelism);
      const diagnostics = {
        releasesMs: (await slipway.cli(['releases'])).ms,
        historyMs: (await slipway.cli(['history', 'production', '-n', '1'])).ms,
        checkMs: (await slipway.cli(['check', 'production'])).ms,
      };

      const runs = Object.fromEntries(cases.map((c) => [c.id, []]));
      for (let round = 1; round <= s.rounds; round++) {
        const release = await createRelease(`${size}.${round}.0`);
        // The Slipway variant needs a release of its own (the same one would already be live).
        const variant = cases.some((c) => c.id === 'slipway-default')
          ? await createRelease(`${size}.${round}.1`)
          : null;
        const order = round % 2 === 1 ? cases : [...cases].reverse();
        for (const c of order) {
          const timing = await deployCase(c, hosts, c.id === 'slipway-default' ? variant : release);
          runs[c.id].push({ round, ...timing });
          log(`  ${size} hosts, round ${round}: ${c.label} ${(timing.ms / 1000).toFixed(2)} s`);
        }
      }
      sizes.push({
        hosts: size,
        diagnostics,
        cases: Object.fromEntries(cases.map((c) => [c.id, summarize(c, runs[c.id])])),
      });
    }

    // Warm fleet rollbacks on every host: deploy once more (not timed) so the previous release is surely warm,
    // then roll back and forth; each rollback should be a switch on every host.
    slipway.useHosts(testbed.hosts, wide(maxSize).parallelism);
    const before = await createRelease('rollback.1');
    await slipway.deploy(before.version);
    const rollbacks = [];
    for (let i = 0; i < s.rollbacks; i++) {
      const r = await slipway.rollback();
      const to = /^Rolling back \S+ (\S+) to /m.exec(r.stdout)?.[1] ?? '?';
      await verifyServing(testbed.hosts, SLIPWAY_PORT, to);
      rollbacks.push({
        to,
        ms: r.ms,
        executorMs: r.executorMs,
        beforePlanMs: r.beforePlanMs,
        startedTargets: /\bstart\s+\d/.test(r.stdout),
      });
      log(`  rollback ${i + 1}/${s.rollbacks} on ${maxSize} hosts → ${to}: ${r.ms.toFixed(0)} ms`);
    }

    const json = {
      settings: {
        ...s,
        health: HEALTH,
        slipwayParallelism: wide(maxSize).parallelism,
        ansibleForks: wide(maxSize).forks,
        artifactBytes,
        ports: {
          slipway: SLIPWAY_PORT,
          ...Object.fromEntries(Object.entries(BASES).map(([k, v]) => [k, v.port])),
        },
      },
      versions,
      loadAvgAtStart,
      setupMs: setup.ms,
      sizes,
      ratios: deriveRatios(sizes),
      rollback: {
        hosts: maxSize,
        runs: rollbacks,
        cliMedianMs: median(rollbacks.map((r) => r.ms)),
        executorMedianMs: median(rollbacks.map((r) => r.executorMs)),
        beforePlanMedianMs: median(rollbacks.map((r) => r.beforePlanMs)),
        anyStartedTarget: rollbacks.some((r) => r.startedTargets),
      },
    };
    return { json, markdown: renderMarkdown(json) };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await testbed.destroy();
    slipway?.dispose();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function mkdir(parent, child) {
  const dir = join(parent, child);
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function prepareHost(host) {
  const script = Object.values(BASES)
    .map(
      ({ base }) =>
        `mkdir -p ${base}/artifacts ${base}/releases ${base}/bin && install -m 755 ${RESTART_SCRIPT} ${base}/bin/restart.sh`,
    )
    .join(' && ');
  const r = await host.exec(['sh', '-c', script]);
  if (r.code !== 0) throw new Error(`preparing ${host.name} failed: ${r.stderr}`);
}

function summarize(c, runs) {
  const out = { label: c.label, runs, medianMs: median(runs.map((r) => r.ms)) };
  if (c.tool === 'slipway') {
    out.executorMedianMs = median(runs.map((r) => r.executorMs));
    out.beforePlanMedianMs = median(runs.map((r) => r.beforePlanMs));
  }
  return out;
}

/** A case that was left out at a size behaves like the one it defaults to (e.g. forks 5 on ≤ 5 hosts). */
function timeOf(size, id) {
  const fallback = { 'ansible-forks5': 'ansible', 'slipway-default': 'slipway' };
  return (size.cases[id] ?? size.cases[fallback[id]])?.medianMs ?? NaN;
}

function deriveRatios(sizes) {
  const perSize = sizes.map((size) => ({
    hosts: size.hosts,
    slipwayOverAnsible: timeOf(size, 'slipway') / timeOf(size, 'ansible'),
    slipwayOverAnsibleForks5: timeOf(size, 'slipway') / timeOf(size, 'ansible-forks5'),
    slipwayDefaultOverAnsibleForks5: timeOf(size, 'slipway-default') / timeOf(size, 'ansible-forks5'),
    slipwayOverCapistrano: timeOf(size, 'slipway') / timeOf(size, 'capistrano'),
  }));
  const first = sizes[0];
  const last = sizes[sizes.length - 1];
  const scaling = {};
  if (first && last && first !== last) {
    for (const id of ['slipway', 'slipway-default', 'ansible', 'ansible-forks5', 'capistrano'])
      scaling[id] = timeOf(last, id) / timeOf(first, id);
  }
  return { perSize, scaling: { from: first?.hosts, to: last?.hosts, byCase: scaling } };
}

const sec = (ms) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : 'n/a');
const ratio = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

function cell(size, id) {
  const c = size.cases[id];
  if (!c) return id === 'ansible-forks5' ? '(= forks ≥ hosts)' : '(= parallelism ≥ hosts)';
  return `**${sec(c.medianMs)}** (${c.runs.map((r) => sec(r.ms)).join(' / ')})`;
}

function renderMarkdown(j) {
  const { settings: st } = j;
  const big = j.sizes[j.sizes.length - 1];
  const lines = [
    `## Fleets over SSH: deploy time against Ansible and Capistrano`,
    ``,
    `Testbed hosts (network namespaces with their own sshd), ${st.rounds} rounds in alternating order, median of the rounds ` +
      `(each round's figure in brackets), seconds of wall clock of the command. Artifact: examples/hello, ${st.artifactBytes} bytes. ` +
      `Health wait: GET ${st.health.path} every ${st.health.intervalMs} ms, ${st.health.healthyThreshold} passes in a row. ` +
      `Load average at start: ${j.loadAvgAtStart.join(' ')}. \`slipway setup\` on ${big?.hosts} hosts took ${sec(j.setupMs)} s (not timed below).`,
    ``,
    `| hosts | Slipway (parallelism ${st.slipwayParallelism}) | Slipway (parallelism 10, default) | Ansible (forks ${st.ansibleForks}) | Ansible (forks 5, default) | Capistrano |`,
    `| ---: | ---: | ---: | ---: | ---: | ---: |`,
    ...j.sizes.map(
      (size) =>
        `| ${size.hosts} | ${cell(size, 'slipway')} | ${cell(size, 'slipway-default')} | ${cell(size, 'ansible')} | ${cell(size, 'ansible-forks5')} | ${cell(size, 'capistrano')} |`,
    ),
    ``,
    `| hosts | Slipway / Ansible (forks ${st.ansibleForks}) | Slipway / Ansible (forks 5) | Slipway, both defaults / Ansible, both defaults | Slipway / Capistrano |`,
    `| ---: | ---: | ---: | ---: | ---: |`,
    ...j.ratios.perSize.map(
      (r) =>
        `| ${r.hosts} | ${ratio(r.slipwayOverAnsible)} | ${ratio(r.slipwayOverAnsibleForks5)} | ${ratio(r.slipwayDefaultOverAnsibleForks5)} | ${ratio(r.slipwayOverCapistrano)} |`,
    ),
    ``,
  ];
  const sc = j.ratios.scaling;
  if (sc.from !== undefined && sc.from !== sc.to) {
    lines.push(
      `Time for ${sc.to} hosts / time for ${sc.from}: ` +
        Object.entries(sc.byCase)
          .map(([id, x]) => `${id} ${ratio(x)}`)
          .join(', '),
      ``,
    );
  }
  lines.push(
    `Where Slipway's deploy time goes (ms; the deploy columns are medians of the rounds). _Before the plan_: from the start ` +
      `of the CLI to its "Deploying …" line (Node start, store, agent event sync, preflight checks on every host). ` +
      `The last three columns are single CLI runs on the same hosts, to tell those parts apart: \`slipway releases\` ` +
      `(Node start + store), \`slipway history\` (+ the agent event sync), \`slipway check\` (+ the preflight checks).`,
    ``,
    `| hosts | deploy: CLI wall time | before the plan | executor | \`releases\` | \`history\` | \`check\` |`,
    `| ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    ...j.sizes.map((size) => {
      const c = size.cases.slipway;
      const d = size.diagnostics;
      return `| ${size.hosts} | ${c.medianMs.toFixed(0)} | ${c.beforePlanMedianMs.toFixed(0)} | ${c.executorMedianMs.toFixed(0)} | ${d.releasesMs.toFixed(0)} | ${d.historyMs.toFixed(0)} | ${d.checkMs.toFixed(0)} |`;
    }),
    ``,
    `Warm fleet rollback on ${j.rollback.hosts} hosts (${j.rollback.runs.length} rollbacks back and forth): CLI wall time median ` +
      `${j.rollback.cliMedianMs.toFixed(0)} ms (each: ${j.rollback.runs.map((r) => r.ms.toFixed(0)).join(', ')}), ` +
      `executor median ${j.rollback.executorMedianMs.toFixed(0)} ms (each: ${j.rollback.runs.map((r) => r.executorMs.toFixed(0)).join(', ')}), ` +
      `before the plan ${j.rollback.beforePlanMedianMs.toFixed(0)} ms; ` +
      `${j.rollback.anyStartedTarget ? '**a rollback started a target** (not a switch only)' : 'every rollback was a switch only'}.`,
    ``,
  );
  return lines.join('\n');
}

// On its own: `node bench/fleet-bench.mjs` writes bench/results/fleet.{json,md}.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const group = new ProcessGroup();
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping benchmark processes`);
      void group.stopAll().finally(() => process.exit(130));
    });
  }
  const resultsDir = join(ROOT, 'bench', 'results');
  let code = 0;
  try {
    const startedAt = new Date().toISOString();
    const result = await run({ group, log: (line) => console.log(line) });
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(
      join(resultsDir, 'fleet.json'),
      `${JSON.stringify({ startedAt, finishedAt: new Date().toISOString(), ...result.json }, null, 2)}\n`,
    );
    writeFileSync(join(resultsDir, 'fleet.md'), `${result.markdown}\n`);
    console.log(`\n${result.markdown}\nwrote ${resultsDir}/fleet.json and fleet.md`);
  } catch (err) {
    console.error(`fleet benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
    code = 1;
  } finally {
    await group.stopAll();
  }
  process.exit(code);
}
