// `npm run bench`: runs every benchmark module in turn and writes bench/results/results.{json,md}.
// Usage: node bench/run.mjs [name …]   (default: all). Each module exports `name` and `run(ctx)`, which
// returns `{ json, markdown }`; processes it starts go through ctx.group and are stopped by pid.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { ProcessGroup } from './lib/processes.mjs';
import * as canaryBench from './canary-bench.mjs';
import * as cliStartupBench from './cli-startup.mjs';
import * as deploySwitchesBench from './deploy-switches.mjs';
import * as edgeFaultsBench from './edge-faults-bench.mjs';
import * as faultsBench from './faults-bench.mjs';
import * as fleetBench from './fleet-bench.mjs';
import * as fleetServerBench from './fleet-server-bench.mjs';
import * as frontDoorBench from './front-door-bench.mjs';
import * as httpsBench from './https-bench.mjs';
import * as routerBench from './router-bench.mjs';
import * as weightUnderLoadBench from './weight-under-load.mjs';

// `https` (TLS termination against HAProxy's) takes ~1.5 minutes.
const BENCHMARKS = [
  routerBench,
  httpsBench,
  frontDoorBench,
  deploySwitchesBench,
  canaryBench,
  weightUnderLoadBench,
  cliStartupBench,
];
// The fleet benchmark needs root (a testbed of 20 SSH hosts), Ansible and Capistrano, and takes ~16 minutes:
// run it by name, `node bench/run.mjs fleet`. So is `fleet-server` (the same through `slipway server`, ~6 minutes),
// and `edge-faults` (a cut link behind Slipway's edge and behind HAProxy on a testbed of 3 hosts, ~2 minutes).
// So is `faults` (agent and router SIGKILL, a killed deploy, a full disk: under load on the local host, ~4 min).
const BY_NAME_ONLY = [fleetBench, fleetServerBench, edgeFaultsBench, faultsBench];
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

const wanted = process.argv.slice(2);
const selected =
  wanted.length === 0 ? BENCHMARKS : [...BENCHMARKS, ...BY_NAME_ONLY].filter((b) => wanted.includes(b.name));
if (selected.length === 0) {
  console.error(
    `unknown benchmark(s) ${wanted.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`,
  );
  process.exit(2);
}

const group = new ProcessGroup();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping benchmark processes`);
    void group.stopAll().finally(() => process.exit(130));
  });
}

const machine = describeMachine();
const startedAt = new Date().toISOString();
const results = {};
const failures = [];
console.log(`Slipway benchmarks on ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}`);
try {
  for (const bench of selected) {
    console.log(`\n# ${bench.name}`);
    try {
      results[bench.name] = await bench.run({ group, log: (line) => console.log(line) });
    } catch (err) {
      failures.push(bench.name);
      results[bench.name] = { error: err instanceof Error ? err.message : String(err) };
      console.error(`${bench.name} failed: ${results[bench.name].error}`);
    }
  }
} finally {
  await group.stopAll();
}

mkdirSync(RESULTS_DIR, { recursive: true });
const json = {
  startedAt,
  finishedAt: new Date().toISOString(),
  machine,
  results: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.json ?? v])),
};
writeFileSync(`${RESULTS_DIR}results.json`, `${JSON.stringify(json, null, 2)}\n`);
const md = [
  `# Slipway benchmark results`,
  ``,
  `${startedAt} — ${machine.cpus} × ${machine.cpuModel}, ${machine.memGiB} GiB, ${machine.os}, Node ${machine.node}, ` +
    `load average at start ${machine.loadAvg.join(' ')}. One run: compare the ratios, not the absolute figures.`,
  ``,
  ...Object.entries(results).map(([k, v]) => v.markdown ?? `## ${k}\n\nfailed: ${v.error}\n`),
].join('\n');
writeFileSync(`${RESULTS_DIR}results.md`, md);
console.log(`\nwrote ${RESULTS_DIR}results.json and results.md`);
process.exit(failures.length > 0 ? 1 : 0);

function describeMachine() {
  const cpus = os.cpus();
  let osName = `${os.type()} ${os.release()}`;
  try {
    const release = execFileSync('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"'], {
      encoding: 'utf8',
    }).trim();
    if (release) osName = `${release} (${os.release()})`;
  } catch {
    // keep the kernel name
  }
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: osName,
    node: process.versions.node,
    loadAvg: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}
