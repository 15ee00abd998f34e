// Full-stack blue/green under load: the real CLI deploys examples/hello again and again (a new target each
// time: start, health check, switch, drain) while a load client hammers the public port; then warm rollbacks
// (a switch only). Reports failed requests and per-deploy / per-rollback times. Called by bench/run.mjs.
//
// Before/after in one run (bench/lib/build-revision.mjs): BENCH_BEFORE=<git revision> also clones that revision
// into a temp directory and builds it; each build then deploys and rolls back its own project (its own copy of
// examples/hello, port and agent), the two taking turns: the deploys and the rollbacks are cut into
// BENCH_DEPLOY_ROUNDS batches (5 by default then) and every round runs one batch of each build, the order of the
// builds reversed every round. The load client runs against the project whose batch is running. The report gives
// both builds' times and after / before. BENCH_AFTER=<git revision> measures that revision's build (cloned and
// built the same way) instead of this working tree's dist/.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildsToCompare, revisionsFromEnv } from './lib/build-revision.mjs';
import { helloConfig } from './lib/hello-config.mjs';
import { freePort, tryParse } from './lib/processes.mjs';

export const name = 'deploy-switches';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOAD_CLIENT = join(ROOT, 'bench', 'lib', 'load-client.mjs');

function settings(env = process.env) {
  const revisions = revisionsFromEnv(env);
  return {
    ...revisions,
    deploys: Number(env.BENCH_DEPLOYS ?? 20),
    rollbacks: Number(env.BENCH_ROLLBACKS ?? 10),
    connections: Number(env.BENCH_LOAD_CONNECTIONS ?? 8),
    rounds: Number(env.BENCH_DEPLOY_ROUNDS ?? (revisions.before ? 5 : 1)),
  };
}

function config(port, keepWarm) {
  return helloConfig(port, `      kind: blue-green\n      keepWarm: ${keepWarm}\n      drainTimeout: 5s`);
}

/** Runs `root`'s CLI (its dist/cli.js) on the project in `dir`. */
function cli(root, dir, args) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(root, 'dist', 'cli.js'), '-c', join(dir, 'slipway.yml'), ...args],
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
/**
 * How long the prepare stage waited for the previous target of the same release to stop ("stop 1.0.0 (hello-1.0.0-…)
 * on local (769ms) stopped"): with keepWarm 0s the target a deploy retires stops in the background, and the next
 * deploy of that release waits for it if it is still stopping. NaN when the deploy had no such step.
 */
const stopMs = (stdout) => {
  const m = /ok\s+stop \S+ \(\S+\) on \S+ \((\d+(?:\.\d+)?)(ms|s)\)/.exec(stdout);
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
  // Before first, then after (or now, this working tree).
  const builds = buildsToCompare(s, log).map((b) => ({
    label: b.label,
    commit: b.commit,
    root: b.root,
    dir: null,
    port: 0,
    deploysDone: 0,
    deployMs: [],
    deployExecutorMs: [],
    deployStopMs: [],
    rollbackMs: [],
    rollbackExecutorMs: [],
    rollbackSwitchMs: [],
    loads: [],
    rounds: [],
  }));
  const compared = builds.length > 1;
  const tag = (b) => (compared ? `${b.label} ` : '');
  try {
    for (const b of builds) {
      b.dir = mkdtempSync(join(tmpdir(), 'sw-bench-'));
      cpSync(join(b.root, 'examples', 'hello'), b.dir, {
        recursive: true,
        filter: (src) => !src.includes('.slipway'),
      });
      b.port = await freePort();
      // keepWarm 0s: every deploy of the other release is cold (new target), which is what we want to measure.
      writeFileSync(join(b.dir, 'slipway.yml'), config(b.port, '0s'));
      await cli(b.root, b.dir, ['release', 'create', '--version', '1.0.0']);
      await cli(b.root, b.dir, ['release', 'create', '--version', '2.0.0']);
      await cli(b.root, b.dir, ['deploy', 'production', '--release', '1.0.0']);
      if (compared) log(`  ${b.label} (${b.commit}): project ready on port ${b.port}`);
    }

    // The deploys, then the warm rollbacks, cut into rounds; in each round every build runs its batch in turn
    // (the order reversed every other round) while the load client sends requests to its port.
    const deployBatches = split(s.deploys, s.rounds);
    const rollbackBatches = split(s.rollbacks, s.rounds);
    for (let round = 0; round < deployBatches.length; round++) {
      for (const b of round % 2 === 0 ? builds : [...builds].reverse()) {
        const from = b.deployMs.length;
        await underLoad(group, s, b, async () => {
          for (let n = 0; n < deployBatches[round]; n++) {
            const version = b.deploysDone % 2 === 0 ? '2.0.0' : '1.0.0';
            const { stdout, ms } = await cli(b.root, b.dir, ['deploy', 'production', '--release', version]);
            b.deploysDone++;
            b.deployMs.push(ms);
            b.deployExecutorMs.push(executorMs(stdout));
            b.deployStopMs.push(stopMs(stdout));
            log(
              `  ${tag(b)}deploy ${b.deploysDone}/${s.deploys} → ${version}: ${ms.toFixed(0)} ms, ` +
                `executor ${executorMs(stdout)} ms${Number.isFinite(stopMs(stdout)) ? `, of which waiting for the previous ${version} target to stop ${stopMs(stdout)} ms` : ''}`,
            );
          }
        });
        b.rounds.push({
          phase: 'deploy',
          round: round + 1,
          cliMedianMs: median(b.deployMs.slice(from)),
          executorMedianMs: median(b.deployExecutorMs.slice(from)),
          executorLessStopMedianMs: median(lessStop(b).slice(from)),
        });
      }
    }

    // Warm rollbacks: keep the old target warm, then roll back and forth (each a switch only).
    for (const b of builds) writeFileSync(join(b.dir, 'slipway.yml'), config(b.port, '10m'));
    for (let round = 0; round < rollbackBatches.length; round++) {
      for (const b of round % 2 === 0 ? builds : [...builds].reverse()) {
        const from = b.rollbackMs.length;
        await underLoad(group, s, b, async () => {
          if (round === 0) {
            // The release that was not deployed last, with the old target now kept warm.
            const version = b.deploysDone % 2 === 0 ? '2.0.0' : '1.0.0';
            await cli(b.root, b.dir, ['deploy', 'production', '--release', version]);
          }
          for (let n = 0; n < rollbackBatches[round]; n++) {
            const { stdout, ms } = await cli(b.root, b.dir, ['rollback', 'production']);
            if (/start\s+\d/.test(stdout))
              throw new Error('a warm rollback started a target: it should only switch');
            b.rollbackMs.push(ms);
            b.rollbackExecutorMs.push(executorMs(stdout));
            b.rollbackSwitchMs.push(switchMs(stdout));
          }
        });
        b.rounds.push({
          phase: 'rollback',
          round: round + 1,
          cliMedianMs: median(b.rollbackMs.slice(from)),
          executorMedianMs: median(b.rollbackExecutorMs.slice(from)),
          switchStepMedianMs: median(b.rollbackSwitchMs.slice(from)),
        });
      }
    }
    for (const b of builds) log(`  ${tag(b)}${b.rollbackMs.length} warm rollbacks done`);

    const results = builds.map((b) => summarizeBuild(b));
    for (const [i, r] of results.entries()) {
      log(`  ${tag(builds[i])}requests: ${r.requests.total} total, ${r.requests.failed} failed`);
    }
    if (!compared) {
      const { rounds: _rounds, ...only } = results[0];
      const json = { settings: s, build: { label: builds[0].label, commit: builds[0].commit }, ...only };
      return { json, markdown: renderMarkdown(json) };
    }
    const json = {
      settings: s,
      builds: builds.map((b, i) => ({ label: b.label, commit: b.commit, ...results[i] })),
      afterVsBefore: compare(results[0], results[results.length - 1]),
    };
    return { json, markdown: renderComparison(json) };
  } finally {
    for (const b of builds) {
      if (!b.dir) continue;
      await cli(b.root, b.dir, ['agent', 'stop', '--stop-targets']).catch(() => undefined);
      rmSync(b.dir, { recursive: true, force: true });
    }
  }
}

/** `total` cut into `parts` batches as even as possible (no empty batch). */
function split(total, parts) {
  const n = Math.max(1, Math.min(parts, total));
  return Array.from({ length: n }, (_, i) => Math.floor((total * (i + 1)) / n) - Math.floor((total * i) / n));
}

/** Runs `work` while a load client (its own process) keeps `s.connections` connections busy on `b`'s port. */
async function underLoad(group, s, b, work) {
  const load = await group.startServer('load-client', process.execPath, [
    LOAD_CLIENT,
    `http://127.0.0.1:${b.port}`,
    String(s.connections),
    '300000',
  ]);
  const lines = [];
  load.lines.on('line', (l) => lines.push(l));
  try {
    await work();
  } finally {
    await group.stop(load.pid, 10_000);
    await load.exited;
  }
  const report = lines.map(tryParse).find((x) => x && 'total' in x);
  if (!report) throw new Error('the load client printed no report');
  b.loads.push(report);
}

function summarizeBuild(b) {
  const byStatus = {};
  const byRelease = {};
  for (const r of b.loads) {
    for (const [k, v] of Object.entries(r.byStatus)) byStatus[k] = (byStatus[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.byRelease)) byRelease[k] = (byRelease[k] ?? 0) + v;
  }
  return {
    requests: {
      total: b.loads.reduce((sum, r) => sum + r.total, 0),
      failed: b.loads.reduce((sum, r) => sum + r.failed, 0),
      byStatus,
      byRelease,
      errors: b.loads.flatMap((r) => r.errors).slice(0, 20),
    },
    deploy: {
      cliMedianMs: median(b.deployMs),
      cliMaxMs: max(b.deployMs),
      executorMedianMs: median(b.deployExecutorMs),
      // The deploys that first waited for the previous target of their release to stop, and the executor time
      // without that wait: how often a deploy waits depends on how soon it follows the one before (a faster CLI
      // start waits more), so the executor time alone does not compare builds whose CLI starts differ.
      waitedForStop: b.deployStopMs.filter(Number.isFinite).length,
      stopWaitMedianMs: median(b.deployStopMs.filter(Number.isFinite)),
      executorLessStopMedianMs: median(lessStop(b)),
      perDeploy: b.deployMs.map((ms, i) => ({
        cliMs: Math.round(ms),
        executorMs: b.deployExecutorMs[i],
        stopWaitMs: Number.isFinite(b.deployStopMs[i]) ? b.deployStopMs[i] : null,
      })),
    },
    rollback: {
      cliMedianMs: median(b.rollbackMs),
      executorMedianMs: median(b.rollbackExecutorMs),
      executorMaxMs: max(b.rollbackExecutorMs),
      switchStepMedianMs: median(b.rollbackSwitchMs),
    },
    rounds: b.rounds,
  };
}

/** Each deploy's executor time less its wait for the previous target of its release to stop. */
function lessStop(b) {
  return b.deployExecutorMs.map((ms, i) => ms - (Number.isFinite(b.deployStopMs[i]) ? b.deployStopMs[i] : 0));
}

/** After / before: of the medians over all rounds, and of each round's medians (with their spread). */
function compare(before, after) {
  const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? round3(a / b) : null);
  const perRound = (phase, pick) => {
    const bs = before.rounds.filter((r) => r.phase === phase);
    const as = after.rounds.filter((r) => r.phase === phase);
    const xs = bs.map((r, i) => ratio(pick(as[i]), pick(r)));
    const ok = xs.filter((x) => x !== null);
    return { perRound: xs, min: ok.length ? Math.min(...ok) : null, max: ok.length ? Math.max(...ok) : null };
  };
  const measure = (phase, pick) => ({
    ratio: ratio(pick(after[phase]), pick(before[phase])),
    ...perRound(phase, pick),
  });
  return {
    deployCli: measure('deploy', (x) => x.cliMedianMs),
    deployExecutor: measure('deploy', (x) => x.executorMedianMs),
    deployExecutorLessStop: measure('deploy', (x) => x.executorLessStopMedianMs),
    rollbackCli: measure('rollback', (x) => x.cliMedianMs),
    rollbackExecutor: measure('rollback', (x) => x.executorMedianMs),
    rollbackSwitchStep: measure('rollback', (x) => x.switchStepMedianMs),
  };
}

const round3 = (x) => Math.round(x * 1000) / 1000;

const f = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');

function renderMarkdown(j) {
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
    `| deploys that waited for the previous target of their release to stop (wait, median) | ${j.deploy.waitedForStop} of ${j.deploy.perDeploy.length} (${f(j.deploy.stopWaitMedianMs)} ms) |`,
    `| deploy, executor time less that wait (median) | ${f(j.deploy.executorLessStopMedianMs)} ms |`,
    `| warm rollback, CLI wall time (median) | ${f(j.rollback.cliMedianMs)} ms |`,
    `| warm rollback, executor time (median / max) | ${f(j.rollback.executorMedianMs)} ms / ${f(j.rollback.executorMaxMs)} ms |`,
    `| warm rollback, the switch step itself (median) | ${f(j.rollback.switchStepMedianMs)} ms |`,
    ``,
  ].join('\n');
}

function renderComparison(j) {
  const [before, after] = [j.builds[0], j.builds[j.builds.length - 1]];
  const r = j.afterVsBefore;
  const spread = (m) =>
    `${m.ratio ?? 'n/a'} | ${m.min ?? 'n/a'}–${m.max ?? 'n/a'} (${m.perRound.map((x) => x ?? 'n/a').join(' / ')})`;
  const row = (label, pick, m) =>
    `| ${label} | ${j.builds.map((b) => pick(b)).join(' | ')} | ${m ? spread(m) : '|'} |`;
  return [
    `## Blue/green deploys and warm rollbacks under load (full stack: CLI → agent → router → targets)`,
    ``,
    `${j.settings.deploys} blue/green deploys (each starts a new target, health-checks it, switches, drains the old one) and ` +
      `${j.settings.rollbacks} warm rollbacks per build, while ${j.settings.connections} keep-alive connections send GET / without pause; ` +
      `${j.settings.rounds} rounds, each build's batch in turn (order reversed every round). ` +
      `Builds: ${j.builds.map((b) => `${b.label} = ${b.commit}`).join(', ')}.`,
    ``,
    `| measure | ${j.builds.map((b) => `${b.label} (${b.commit})`).join(' | ')} | ${after.label} / before | per round: min–max (each round) |`,
    `| --- | ${j.builds.map(() => '---:').join(' | ')} | ---: | --- |`,
    row('requests during the run / failed', (b) => `${b.requests.total} / ${b.requests.failed}`),
    row(
      'deploy, CLI wall time (median / max)',
      (b) => `${f(b.deploy.cliMedianMs)} / ${f(b.deploy.cliMaxMs)} ms`,
      r.deployCli,
    ),
    row('deploy, executor time (median)', (b) => `${f(b.deploy.executorMedianMs)} ms`, r.deployExecutor),
    row(
      'deploys that waited for the previous target of their release to stop (wait, median)',
      (b) => `${b.deploy.waitedForStop} of ${b.deploy.perDeploy.length} (${f(b.deploy.stopWaitMedianMs)} ms)`,
    ),
    row(
      'deploy, executor time less that wait (median)',
      (b) => `${f(b.deploy.executorLessStopMedianMs)} ms`,
      r.deployExecutorLessStop,
    ),
    row('warm rollback, CLI wall time (median)', (b) => `${f(b.rollback.cliMedianMs)} ms`, r.rollbackCli),
    row(
      'warm rollback, executor time (median / max)',
      (b) => `${f(b.rollback.executorMedianMs)} / ${f(b.rollback.executorMaxMs)} ms`,
      r.rollbackExecutor,
    ),
    row(
      'warm rollback, the switch step itself (median)',
      (b) => `${f(b.rollback.switchStepMedianMs)} ms`,
      r.rollbackSwitchStep,
    ),
    ``,
    `Ratios: ${after.label} (${after.commit}) / before (${before.commit}); the first is of the medians over all rounds.`,
    ``,
  ].join('\n');
}
