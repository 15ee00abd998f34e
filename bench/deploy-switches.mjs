// Full-stack blue/green under load: the real CLI deploys examples/hello again and again (a new target each
// time: start, health check, switch, drain) while a load client hammers the public port; then warm rollbacks
// (a switch only). Reports failed requests and per-deploy / per-rollback times. Called by bench/run.mjs.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { helloConfig } from './lib/hello-config.mjs';
import { freePort, tryParse } from './lib/processes.mjs';

export const name = 'deploy-switches';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const LOAD_CLIENT = join(ROOT, 'bench', 'lib', 'load-client.mjs');

function settings(env = process.env) {
  return {
    deploys: Number(env.BENCH_DEPLOYS ?? 20),
    rollbacks: Number(env.BENCH_ROLLBACKS ?? 10),
    connections: Number(env.BENCH_LOAD_CONNECTIONS ?? 8),
  };
}

function config(port, keepWarm) {
  return helloConfig(port, `      kind: blue-green\n      keepWarm: ${keepWarm}\n      drainTimeout: 5s`);
}

function cli(dir, args) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, '-c', join(dir, 'slipway.yml'), ...args],
      { env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        const ms = performance.now() - started;
        if (err) reject(new Error(`slipway ${args.join(' ')} failed: ${stderr || stdout}`));
        else resolve({ stdout, ms });
      },
    );
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const max = (xs) => Math.max(...xs);
/** The executor's own duration, from the last line: "✔ 2.0.0 is live in production at … (1.1s)". */
const executorMs = (stdout) => {
  const m = /is live in \S+ at \S+ \((\d+(?:\.\d+)?)(ms|s)\)/.exec(stdout);
  return m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN;
};
/** The switch step's own time: "switch traffic to 1.0.0 on local (4ms) from … in 2ms". */
const switchMs = (stdout) => {
  const m = /switch traffic to \S+ on \S+ \(\d+(?:\.\d+)?m?s\).* in (\d+)ms/.exec(stdout);
  return m ? Number(m[1]) : NaN;
};

/** @param {{ group: import('./lib/processes.mjs').ProcessGroup, log: (line: string) => void }} ctx */
export async function run({ group, log }) {
  const s = settings();
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-'));
  cpSync(join(ROOT, 'examples', 'hello'), dir, {
    recursive: true,
    filter: (src) => !src.includes('.slipway'),
  });
  const port = await freePort();
  try {
    // keepWarm 0s: every deploy of the other release is cold (new target), which is what we want to measure.
    writeFileSync(join(dir, 'slipway.yml'), config(port, '0s'));
    await cli(dir, ['release', 'create', '--version', '1.0.0']);
    await cli(dir, ['release', 'create', '--version', '2.0.0']);
    await cli(dir, ['deploy', 'production', '--release', '1.0.0']);

    const load = await group.startServer('load-client', process.execPath, [
      LOAD_CLIENT,
      `http://127.0.0.1:${port}`,
      String(s.connections),
      '300000',
    ]);
    const deployMs = [];
    const deployExecutorMs = [];
    for (let i = 0; i < s.deploys; i++) {
      const version = i % 2 === 0 ? '2.0.0' : '1.0.0';
      const { stdout, ms } = await cli(dir, ['deploy', 'production', '--release', version]);
      deployMs.push(ms);
      deployExecutorMs.push(executorMs(stdout));
      log(`  deploy ${i + 1}/${s.deploys} → ${version}: ${ms.toFixed(0)} ms`);
    }

    // Warm rollbacks: keep the old target warm, then roll back and forth (each a switch only).
    writeFileSync(join(dir, 'slipway.yml'), config(port, '10m'));
    await cli(dir, ['deploy', 'production', '--release', s.deploys % 2 === 0 ? '2.0.0' : '1.0.0']);
    const rollbackMs = [];
    const rollbackExecutorMs = [];
    const rollbackSwitchMs = [];
    for (let i = 0; i < s.rollbacks; i++) {
      const { stdout, ms } = await cli(dir, ['rollback', 'production']);
      if (/start\s+\d/.test(stdout))
        throw new Error('a warm rollback started a target: it should only switch');
      rollbackMs.push(ms);
      rollbackExecutorMs.push(executorMs(stdout));
      rollbackSwitchMs.push(switchMs(stdout));
    }
    log(`  ${s.rollbacks} warm rollbacks done`);

    const lines = [];
    load.lines.on('line', (l) => lines.push(l));
    await group.stop(load.pid, 10_000);
    await load.exited;
    const report = lines.map(tryParse).find((x) => x && 'total' in x);
    if (!report) throw new Error('the load client printed no report');

    const json = {
      settings: s,
      requests: {
        total: report.total,
        failed: report.failed,
        byStatus: report.byStatus,
        byRelease: report.byRelease,
        errors: report.errors,
      },
      deploy: {
        cliMedianMs: median(deployMs),
        cliMaxMs: max(deployMs),
        executorMedianMs: median(deployExecutorMs),
      },
      rollback: {
        cliMedianMs: median(rollbackMs),
        executorMedianMs: median(rollbackExecutorMs),
        executorMaxMs: max(rollbackExecutorMs),
        switchStepMedianMs: median(rollbackSwitchMs),
      },
    };
    log(`  requests: ${report.total} total, ${report.failed} failed`);
    return { json, markdown: renderMarkdown(json) };
  } finally {
    await cli(dir, ['agent', 'stop', '--stop-targets']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

function renderMarkdown(j) {
  const f = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
  return [
    `## Blue/green deploys and warm rollbacks under load (full stack: CLI → agent → router → targets)`,
    ``,
    `${j.settings.deploys} blue/green deploys (each starts a new target, health-checks it, switches, drains the old one) and ` +
      `${j.settings.rollbacks} warm rollbacks, while ${j.settings.connections} keep-alive connections send GET / without pause.`,
    ``,
    `| measure | value |`,
    `| --- | --- |`,
    `| requests during the run | ${j.requests.total} |`,
    `| failed requests (non-200 or socket error) | ${j.requests.failed} |`,
    `| deploy, CLI wall time (median / max) | ${f(j.deploy.cliMedianMs)} ms / ${f(j.deploy.cliMaxMs)} ms |`,
    `| deploy, executor time (median) | ${f(j.deploy.executorMedianMs)} ms |`,
    `| warm rollback, CLI wall time (median) | ${f(j.rollback.cliMedianMs)} ms |`,
    `| warm rollback, executor time (median / max) | ${f(j.rollback.executorMedianMs)} ms / ${f(j.rollback.executorMaxMs)} ms |`,
    `| warm rollback, the switch step itself (median) | ${f(j.rollback.switchStepMedianMs)} ms |`,
    ``,
  ].join('\n');
}
