// Faults on the local host, under load: what issue 15's "Done means" table asks, measured in one run on a copy of
// examples/hello (the same scenarios test/faults/*.test.ts and test/integration/unverified-targets.test.ts assert;
// this module measures them and asserts nothing):
//
// 1. the agent SIGKILLed under load: failed requests, the longest time without a 200, the time until a new agent
//    answers `ping` on agent.sock, whether the router process (router.pid) stayed;
// 2. the router process SIGKILLed under load: failed requests, the longest time without a 200, the time until a
//    new connection to the public port gets a 200, the time until the last failed request ended;
// 3. a deploy of a never-healthy release SIGKILLed during its health check, then `deploy` again: the second
//    deploy's exit code, which release serves during and after, failed requests;
// 4. (root only: a 32 MiB tmpfs as the agent's home) the disk filled before `rollback`: its exit code and first
//    line of stderr, failed requests, what serves after; then the router process killed: what its successor
//    serves (the last ✔'s release); then a rollback with room, the router killed again.
//
// A `node -e 0` is timed in the same run, so restart times can be read as a ratio to a Node start. Every process
// goes through ctx.group (the load client, the CLI runs) and is stopped by pid; the project's keeper, router,
// agent and targets are stopped with `slipway agent stop --stop-targets` (then by pid if any is left).
//
// A module of bench/run.mjs, run by name only: `node bench/run.mjs faults` (the bundles must be built).
// Knobs: BENCH_FAULTS_AGENT_ROUNDS (5), BENCH_FAULTS_ROUTER_ROUNDS (5), BENCH_FAULTS_DEPLOY_ROUNDS (3).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import http from 'node:http';
import { createConnection } from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, runCommand, tail } from './lib/fleet-run.mjs';
import { freePort, sleep, tryParse } from './lib/processes.mjs';

export const name = 'faults';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const AGENT = join(ROOT, 'dist', 'agent.js');
const LOAD_CLIENT = join(ROOT, 'bench', 'lib', 'fault-load-client.mjs');
const GOOD = '1.0.0';
const OTHER = '2.0.0';
/** The release whose health check never passes (scenario 3). */
const BROKEN = '3.0.0';
/** src/agent/keeper.ts: a child that lived this long is restarted at once; one dying sooner waits (backoff). */
const KEEPER_STABLE_AFTER_MS = 10_000;

function settings(env = process.env) {
  const num = (key, fallback) => {
    const n = Number(env[key] ?? fallback);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${key}: expected a positive number`);
    return n;
  };
  return {
    agentRounds: num('BENCH_FAULTS_AGENT_ROUNDS', 5),
    routerRounds: num('BENCH_FAULTS_ROUTER_ROUNDS', 5),
    deployRounds: num('BENCH_FAULTS_DEPLOY_ROUNDS', 3),
    concurrency: 6,
    clientTimeoutMs: 5_000,
    /** Load before each fault, and after the killed process is back and the port serves again. */
    warmMs: 1_000,
    afterMs: 1_500,
    /** How often the restart probes look (ping on the socket; a new connection to the public port). */
    probeEveryMs: 5,
    /** Bound of each probe: a process not back by then is reported as not back (null). */
    backWaitMs: 10_000,
    /** A process is killed only once it ran this long: the keeper restarts such a child at once (no backoff). */
    minAgeAtKillMs: KEEPER_STABLE_AFTER_MS + 1_000,
    pauseBetweenRoundsMs: 2_000,
    /** The never-healthy release's healthCheck.startTimeout, and when into its health check the CLI is killed. */
    brokenStartTimeout: '2s',
    killIntoHealthMs: 500,
    diskBytes: 32 * 1024 * 1024,
    /** Every load run is bounded (it is stopped long before, at the end of its round). */
    loadMaxMs: 180_000,
    loadMaxRequests: 5_000_000,
    nodeStarts: 5,
    samplerEveryMs: 50,
  };
}

/** @param {{ group: import('./lib/processes.mjs').ProcessGroup, log: (line: string) => void }} ctx */
export async function run({ group, log }) {
  const s = settings();
  for (const file of [CLI, AGENT]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  }
  const loadAvgAtStart = loadAvg();
  const isRoot = process.getuid?.() === 0;
  const projects = [];
  let disk = null;
  // Interrupted (Ctrl-C): bench/run.mjs stops the ProcessGroup and exits; the projects' keepers, routers, agents
  // and targets (started by the CLI, not by the group) and the tmpfs must go too. Synchronous: blocks until done.
  const onSignal = () => {
    disk?.free();
    for (const p of projects) p.disposeSync();
    disk?.unmount();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const nodeStartMs = await timeNodeStarts(group, s.nodeStarts);
    log(`  node -e 0: ${nodeStartMs.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    const nodeStartMedianMs = median(nodeStartMs);

    // One project for scenarios 1–3: 1.0.0 serving, 3.0.0 never healthy.
    const main = await createProject(group);
    projects.push(main);
    await main.checked(['release', 'create', '--version', GOOD]);
    main.writeConfig({ env: { FAIL_HEALTH: '1' }, startTimeout: s.brokenStartTimeout });
    await main.checked(['release', 'create', '--version', BROKEN]);
    main.writeConfig({});
    await main.checked(['deploy', 'production', '--release', GOOD]);
    log(`  ${GOOD} serves on :${main.port}; ${BROKEN} never passes its health check`);

    // Scenarios 1 and 2, alternating: each process is killed only once it has run minAgeAtKillMs.
    const kills = { agent: [], router: [] };
    const rounds = Math.max(s.agentRounds, s.routerRounds);
    for (let i = 1; i <= rounds; i++) {
      for (const kind of /** @type {const} */ (['agent', 'router'])) {
        if (i > (kind === 'agent' ? s.agentRounds : s.routerRounds)) continue;
        const r = await killRound({ group, project: main, kind, round: i, s });
        kills[kind].push(r);
        log(`  ${kind} SIGKILL ${i}: ${describeKill(r)}`);
        await sleep(s.pauseBetweenRoundsMs);
      }
    }

    // Scenario 3.
    const deploys = [];
    for (let i = 1; i <= s.deployRounds; i++) {
      const r = await interruptedDeployRound({ group, project: main, round: i, s });
      deploys.push(r);
      log(`  interrupted deploy ${i}: ${describeDeploy(r)}`);
      await sleep(s.pauseBetweenRoundsMs);
    }

    // Scenario 4 (root: a real full file system).
    let fullDisk;
    if (isRoot) {
      disk = mountTinyDisk(s.diskBytes);
      const second = await createProject(group, { agentHome: disk.dir, roots: [disk.dir] });
      projects.push(second);
      fullDisk = await fullDiskRollback({ group, project: second, disk, s, log });
    } else {
      fullDisk = { skipped: 'needs root (mounts a tmpfs as the agent home)' };
      log(`  full agent disk: skipped (${fullDisk.skipped})`);
    }

    const json = {
      settings: s,
      versions: { node: process.versions.node },
      loadAvgAtStart,
      loadAvgAtEnd: loadAvg(),
      nodeStartMs: { runs: nodeStartMs, median: nodeStartMedianMs },
      agentKill: { rounds: kills.agent, summary: summarizeKills(kills.agent, 'agent', nodeStartMedianMs) },
      routerKill: {
        rounds: kills.router,
        summary: summarizeKills(kills.router, 'router', nodeStartMedianMs),
      },
      interruptedDeploy: { rounds: deploys, summary: summarizeDeploys(deploys) },
      fullDisk,
    };
    return { json, markdown: renderMarkdown(json) };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    disk?.free();
    for (const p of projects.reverse()) await p.dispose();
    disk?.unmount();
  }
}

/** SIGKILLs the agent or the router process under load; measures until it answers again and the port serves. */
async function killRound({ group, project, kind, round, s }) {
  const pidFile = kind === 'agent' ? 'agent.pid' : 'router.pid';
  const socket = join(project.home, kind === 'agent' ? 'agent.sock' : 'router.sock');
  const victim = project.pid(pidFile);
  if (!victim) throw new Error(`no ${pidFile} in ${project.home}`);
  // The keeper backs off for a child that died young: kill only one that ran long enough (bounded wait).
  const age = processAgeMs(victim);
  if (age !== null && age < s.minAgeAtKillMs) await sleep(s.minAgeAtKillMs - age);
  const before = { agent: project.pid('agent.pid'), router: project.pid('router.pid') };
  const keeperLogSize = fileSize(join(project.home, 'keeper.log'));

  const load = await startLoad(group, project.url, s);
  await sleep(s.warmMs);
  const ageAtKillMs = processAgeMs(victim);
  const killedAtMs = Date.now();
  const t0 = performance.now();
  process.kill(victim, 'SIGKILL');
  const [back, serving] = await Promise.all([
    pollUntil(() => pingAnsweredByOther(socket, victim), s.backWaitMs, s.probeEveryMs),
    pollUntil(() => servesOnNewConnection(project.port), s.backWaitMs, s.probeEveryMs),
  ]);
  await sleep(s.afterMs);
  const report = await load.stop();
  const after = { agent: project.pid('agent.pid'), router: project.pid('router.pid') };

  const failureEnds = report.failures.map((f) => f.atMs + f.ms - killedAtMs);
  return {
    kind,
    round,
    killedPid: victim,
    ageAtKillMs,
    requests: report.total,
    failed: report.failed,
    errors: report.errors,
    byStatus: report.byStatus,
    latencyMs: report.latencyMs,
    longestGapMs: report.longestGapMs,
    longestGapAfterKillMs: report.longestGapFromMs - killedAtMs,
    /** SIGKILL → a process other than the killed one answered `ping` on its socket. */
    backAfterMs: back ? round1(back.atMs - t0) : null,
    newPid: back?.value ?? null,
    /** SIGKILL → a new connection to the public port got a 200. */
    servingAfterMs: serving ? round1(serving.atMs - t0) : null,
    /** SIGKILL → the end of the last failed request (null: none failed). */
    lastFailureEndAfterKillMs: failureEnds.length ? round1(Math.max(...failureEnds)) : null,
    /** Failed requests that did not end within [SIGKILL, SIGKILL + 1 s]. */
    failedOutsideFirstSecond: failureEnds.filter((ms) => ms < 0 || ms > 1_000).length,
    /** The first and last few failed requests (start relative to the SIGKILL). */
    failuresSample: sampleEnds(report.failures).map((f) => ({ ...f, afterKillMs: f.atMs - killedAtMs })),
    before,
    after,
    routerPidUnchanged: before.router !== null && before.router === after.router,
    agentPidUnchanged: before.agent !== null && before.agent === after.agent,
    keeperLog: readFrom(join(project.home, 'keeper.log'), keeperLogSize).trim().split('\n').filter(Boolean),
  };
}

function summarizeKills(rounds, kind, nodeStartMs) {
  const back = rounds.map((r) => r.backAfterMs ?? NaN);
  const serving = rounds.map((r) => r.servingAfterMs ?? NaN);
  const failed = rounds.reduce((n, r) => n + r.failed, 0);
  const allBack = rounds.every((r) => r.backAfterMs !== null);
  const summary = {
    rounds: rounds.length,
    requests: rounds.reduce((n, r) => n + r.requests, 0),
    failed,
    longestGapMs: { median: median(rounds.map((r) => r.longestGapMs)), max: maxOf(rounds, 'longestGapMs') },
    backAfterMs: { median: median(back), max: allBack ? Math.max(...back) : null },
    backOverNodeStart: { median: median(back) / nodeStartMs, max: Math.max(...back) / nodeStartMs },
    servingAfterMs: { median: median(serving), max: Math.max(...serving) },
    servingOverNodeStart: { median: median(serving) / nodeStartMs, max: Math.max(...serving) / nodeStartMs },
  };
  if (kind === 'agent') {
    summary.routerPidUnchanged = rounds.filter((r) => r.routerPidUnchanged).length;
    // Bar: 0 failed requests; the agent back within 2 s with no command run.
    summary.barMet = failed === 0 && allBack && Math.max(...back) <= 2_000;
  } else {
    const lastEnds = rounds.map((r) => r.lastFailureEndAfterKillMs).filter((x) => x !== null);
    summary.lastFailureEndAfterKillMs = {
      median: median(lastEnds),
      max: lastEnds.length ? Math.max(...lastEnds) : null,
    };
    summary.failedOutsideFirstSecond = rounds.reduce((n, r) => n + r.failedOutsideFirstSecond, 0);
    summary.agentPidUnchanged = rounds.filter((r) => r.agentPidUnchanged).length;
    // Bar: traffic flows again within 1 s; failed requests only inside that second.
    summary.barMet =
      rounds.every((r) => r.servingAfterMs !== null && r.servingAfterMs <= 1_000) &&
      summary.failedOutsideFirstSecond === 0;
  }
  return summary;
}

/**
 * With 1.0.0 serving: `deploy --release 3.0.0` (never healthy), SIGKILLed `killIntoHealthMs` after its health step
 * began; then the same deploy again, to completion. The load runs over the whole round; a sampler notes which
 * release answers GET / every few ms.
 */
async function interruptedDeployRound({ group, project, round, s }) {
  const { result, seen, report, servingAfter } = await underLoad(group, project, s, async () => {
    const killed = await deployKilledInHealthCheck(group, project, s);
    const again = await project.cli(['deploy', 'production', '--release', BROKEN], { timeoutMs: 180_000 });
    return { killed, again };
  });
  const { killed, again } = result;
  const left = (await project.targets()).filter((t) => t.release === BROKEN && t.state !== 'stopped');
  const output = `${again.stdout}\n${again.stderr}`;
  const healthFailed = /FAILED\s+health check/.test(again.stdout) || /did not become healthy/.test(output);
  return {
    round,
    killedDeploy: killed,
    secondDeploy: {
      exitCode: again.code,
      ms: round1(again.ms),
      failedItsHealthCheck: healthFailed,
      saidLive: /is live/.test(again.stdout),
      error: /^error: .*$/m.exec(again.stderr)?.[0] ?? null,
      outputTail: tail(output, 1_500),
    },
    requests: report.total,
    failed: report.failed,
    errors: report.errors,
    byStatus: report.byStatus,
    longestGapMs: report.longestGapMs,
    releasesSeen: seen.releases,
    samplerErrors: seen.errors,
    servingAfter,
    brokenTargetsLeft: left.map((t) => ({ id: t.id, state: t.state })),
  };
}

/** Starts `deploy --release 3.0.0`, waits for its health step, lets it run `killIntoHealthMs`, SIGKILLs it. */
async function deployKilledInHealthCheck(group, project, s) {
  const started = performance.now();
  const proc = group.start(
    'slipway deploy (killed)',
    process.execPath,
    [CLI, '-c', project.file, 'deploy', 'production', '--release', BROKEN],
    { env: project.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let healthAt = null;
  proc.child.stdout.on('data', (d) => {
    stdout += d.toString();
    if (healthAt === null && /start\s+health check/.test(stdout)) healthAt = performance.now();
  });
  let exitedCode;
  void proc.exited.then((code) => (exitedCode = code));
  const deadline = performance.now() + 60_000;
  while (healthAt === null && exitedCode === undefined && performance.now() < deadline) await sleep(5);
  if (healthAt !== null) await sleep(Math.max(0, healthAt + s.killIntoHealthMs - performance.now()));
  const exitedBeforeKill = exitedCode !== undefined;
  const killedAt = performance.now();
  if (!exitedBeforeKill) process.kill(proc.pid, 'SIGKILL');
  await Promise.race([proc.exited, sleep(10_000)]);
  if (exitedCode === undefined) await group.stop(proc.pid, 1_000);
  return {
    healthStepSeenAfterMs: healthAt === null ? null : round1(healthAt - started),
    killedIntoHealthStepMs: healthAt === null || exitedBeforeKill ? null : round1(killedAt - healthAt),
    killed: !exitedBeforeKill,
    exitedBeforeKill: exitedBeforeKill ? exitedCode : null,
    stdoutTail: tail(stdout, 800),
  };
}

function summarizeDeploys(rounds) {
  const failed = rounds.reduce((n, r) => n + r.failed, 0);
  const secondFailedHealth = rounds.filter(
    (r) => r.secondDeploy.exitCode !== 0 && r.secondDeploy.failedItsHealthCheck,
  );
  const oldServedAll = rounds.filter(
    (r) => Object.keys(r.releasesSeen).every((rel) => rel === GOOD) && r.servingAfter === GOOD,
  );
  return {
    rounds: rounds.length,
    killedDuringHealthCheck: rounds.filter(
      (r) => r.killedDeploy.killed && r.killedDeploy.killedIntoHealthStepMs !== null,
    ).length,
    requests: rounds.reduce((n, r) => n + r.requests, 0),
    failed,
    secondDeployFailedItsHealthCheck: secondFailedHealth.length,
    secondDeployMs: {
      median: median(rounds.map((r) => r.secondDeploy.ms)),
      max: maxOf(
        rounds.map((r) => r.secondDeploy),
        'ms',
      ),
    },
    longestGapMs: { median: median(rounds.map((r) => r.longestGapMs)), max: maxOf(rounds, 'longestGapMs') },
    oldReleaseServedThroughout: oldServedAll.length,
    brokenTargetsLeft: rounds.reduce((n, r) => n + r.brokenTargetsLeft.length, 0),
    // Bar: the second deploy fails its health check; the old release keeps serving; 0 failed requests.
    barMet:
      failed === 0 && secondFailedHealth.length === rounds.length && oldServedAll.length === rounds.length,
  };
}

/**
 * 1.0.0 then 2.0.0 deployed on a project whose agent home is a 32 MiB tmpfs; under load the disk is filled, then
 * `rollback`; the filler removed; the router process SIGKILLed: what does its successor serve? Then a rollback
 * with room, and the router killed again.
 */
async function fullDiskRollback({ group, project, disk, s, log }) {
  for (const version of [GOOD, OTHER]) {
    await project.checked(['release', 'create', '--version', version]);
    await project.checked(['deploy', 'production', '--release', version]);
  }
  const servingBefore = await releaseOnNewConnection(project.port);
  log(
    `  full disk: ${OTHER} deployed after ${GOOD} on a ${s.diskBytes / 2 ** 20} MiB tmpfs, serving ${servingBefore}`,
  );

  // The refused (or done) rollback, under load, with the disk full.
  const full = await underLoad(group, project, s, async () => {
    const filledBytes = disk.fill();
    try {
      const r = await project.cli(['rollback', 'production'], { timeoutMs: 120_000 });
      return { r, filledBytes };
    } finally {
      disk.free();
    }
  });
  const first = full.result.r;
  const firstSaidDone = first.code === 0 && /✔/.test(first.stdout);
  const firstRestart = await restartRouter(project, s);
  const firstExpected = firstSaidDone ? GOOD : OTHER;
  log(
    `  full disk: rollback exit ${first.code} (${firstLine(first.stderr) || 'no stderr'}); ` +
      `${full.report.failed} failed; a restarted router serves ${firstRestart.serving} (expected ${firstExpected})`,
  );

  // With room: the rollback is done, and the restarted router serves it.
  const roomy = await underLoad(group, project, s, () =>
    project.cli(['rollback', 'production'], { timeoutMs: 120_000 }),
  );
  const second = roomy.result;
  const secondSaidDone = second.code === 0 && /✔/.test(second.stdout);
  const secondRestart = await restartRouter(project, s);
  const secondExpected = secondSaidDone ? (firstSaidDone ? OTHER : GOOD) : firstExpected;
  log(
    `  room again: rollback exit ${second.code}; ${roomy.report.failed} failed; a restarted router serves ` +
      `${secondRestart.serving} (expected ${secondExpected})`,
  );

  const refusedClearly =
    first.code !== 0 &&
    !/✔/.test(first.stdout) &&
    /ENOSPC/.test(first.stderr) &&
    !/\n\s+at /.test(first.stderr);
  return {
    diskBytes: s.diskBytes,
    servingBefore,
    fullDiskRollback: {
      filledBytes: full.result.filledBytes,
      exitCode: first.code,
      ms: round1(first.ms),
      saidDone: firstSaidDone,
      stderrFirstLine: firstLine(first.stderr),
      /** The CLI's reason: its `error:` line (and the `hint:` after it). */
      stderrError: /^error: .*$/m.exec(first.stderr)?.[0] ?? null,
      stderrHint: /^hint: .*$/m.exec(first.stderr)?.[0] ?? null,
      stderr: tail(first.stderr, 1_500),
      refusedClearly,
      requests: full.report.total,
      failed: full.report.failed,
      errors: full.report.errors,
      releasesSeen: full.seen.releases,
      servingAfter: full.servingAfter,
    },
    afterFirstRouterRestart: { ...firstRestart, expected: firstExpected },
    roomyRollback: {
      exitCode: second.code,
      ms: round1(second.ms),
      saidDone: secondSaidDone,
      requests: roomy.report.total,
      failed: roomy.report.failed,
      errors: roomy.report.errors,
      releasesSeen: roomy.seen.releases,
      servingAfter: roomy.servingAfter,
    },
    afterSecondRouterRestart: { ...secondRestart, expected: secondExpected },
    // Bar: refused with a clear reason, or done and durable; after a restart the router serves the last ✔.
    barMet:
      (refusedClearly || firstSaidDone) &&
      firstRestart.serving === firstExpected &&
      secondSaidDone &&
      secondRestart.serving === secondExpected,
  };
}

/** Runs `fn` while the load client and the release sampler run; then what serves on a new connection. */
async function underLoad(group, project, s, fn) {
  const load = await startLoad(group, project.url, s);
  const sampler = startReleaseSampler(project.port, s.samplerEveryMs);
  let result;
  let error = null;
  try {
    await sleep(s.warmMs);
    result = await fn();
    await sleep(500);
  } catch (err) {
    error = err;
  }
  const seen = await sampler.stop();
  const report = await load.stop();
  if (error) throw error;
  const servingAfter = await releaseOnNewConnection(project.port).catch((e) => `error: ${e.message}`);
  return { result, seen, report, servingAfter };
}

/** SIGKILLs the router process; waits (bounded) for a new one (router.pid) whose port answers GET / with 200. */
async function restartRouter(project, s) {
  const pid = project.pid('router.pid');
  if (!pid) throw new Error(`no router.pid in ${project.home}`);
  const t0 = performance.now();
  process.kill(pid, 'SIGKILL');
  const back = await pollUntil(
    async () => {
      const now = project.pid('router.pid');
      if (!now || now === pid) return null;
      return releaseOnNewConnection(project.port);
    },
    15_000,
    s.probeEveryMs,
  );
  return {
    killedPid: pid,
    newPid: project.pid('router.pid'),
    servingAfterMs: back ? round1(back.atMs - t0) : null,
    serving: back?.value ?? null,
  };
}

/** A real, tiny file system (tmpfs) on a temp dir, to run out of space for real (as test/helpers/tiny-disk.ts). */
function mountTinyDisk(sizeBytes) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  let mounted = true;
  return {
    dir,
    /** Writes a filler file until the disk has no byte left (ENOSPC); returns how many bytes it took. */
    fill() {
      let written = 0;
      const fd = openSync(filler, 'a');
      try {
        // Big blocks first, then small ones for the last bytes of the last pages (bounded: the disk is finite).
        for (const size of [64 * 1024, 512, 1]) {
          const block = Buffer.alloc(size);
          for (let i = 0; i < 1_000_000; i++) {
            try {
              written += writeSync(fd, block);
            } catch (err) {
              if (err?.code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      return written;
    },
    free() {
      if (mounted) rmSync(filler, { force: true });
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      spawnSync('umount', ['-l', dir], { stdio: 'ignore', timeout: 30_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A copy of examples/hello in a temp dir on a free port. `agentHome`: the agent's home is that directory (a
 * symlink from <project>/.slipway/agent, made before the first CLI call).
 */
async function createProject(group, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-faults-'));
  cpSync(join(ROOT, 'examples', 'hello'), dir, {
    recursive: true,
    filter: (src) => !src.includes('.slipway'),
  });
  const home = join(dir, '.slipway', 'agent');
  if (options.agentHome) {
    mkdirSync(join(dir, '.slipway'), { recursive: true });
    symlinkSync(options.agentHome, home);
  }
  const roots = [dir, ...(options.roots ?? [])];
  const port = await freePort();
  const file = join(dir, 'slipway.yml');
  const env = { ...process.env, NO_COLOR: '1' };
  const cli = (args, opts = {}) =>
    runCommand(group, `slipway ${args[0]}`, process.execPath, [CLI, '-c', file, ...args], {
      env,
      timeoutMs: opts.timeoutMs ?? 180_000,
    });
  const pid = (fileName) => {
    try {
      return Number(readFileSync(join(home, fileName), 'utf8').trim()) || null;
    } catch {
      return null;
    }
  };
  const project = {
    dir,
    home,
    port,
    url: `http://127.0.0.1:${port}`,
    file,
    env,
    cli,
    pid,
    writeConfig: (o) => writeFileSync(file, slipwayYml(port, o)),
    async checked(args) {
      const r = await cli(args);
      if (r.code !== 0)
        throw new Error(`slipway ${args.join(' ')} failed (exit ${r.code}):\n${tail(r.stdout + r.stderr)}`);
      return r;
    },
    async targets() {
      const r = await cli(['status', 'production', '--json'], { timeoutMs: 30_000 });
      if (r.code !== 0) return [];
      return tryParse(r.stdout)?.[0]?.hosts?.[0]?.targets ?? [];
    },
    /** `agent stop --stop-targets`, then whatever is left of what it ran, by pid; then the directory. */
    async dispose() {
      const pids = await ownPids(project).catch(() => []);
      await cli(['agent', 'stop', '--stop-targets'], { timeoutMs: 60_000 }).catch(() => undefined);
      await reap(pids, roots);
      rmSync(dir, { recursive: true, force: true });
    },
    disposeSync() {
      const pids = ['keeper.pid', 'router.pid', 'agent.pid'].map(pid).filter(Boolean);
      spawnSync(process.execPath, [CLI, '-c', file, 'agent', 'stop', '--stop-targets'], {
        env,
        stdio: 'ignore',
        timeout: 30_000,
      });
      for (const p of pids) if (alive(p) && belongs(p, roots)) signal(p, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  project.writeConfig({});
  return project;
}

/** The keeper's, router's and agent's pids, and the targets' (from `status`). */
async function ownPids(project) {
  const pids = ['keeper.pid', 'router.pid', 'agent.pid'].map(project.pid).filter(Boolean);
  for (const t of await project.targets()) if (t.pid) pids.push(t.pid);
  return pids;
}

/** Waits (≤ 5 s) for each pid to be gone; SIGKILLs one still there if it is this project's. */
async function reap(pids, roots) {
  const deadline = Date.now() + 5_000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  for (const p of pids) if (alive(p) && belongs(p, roots)) signal(p, 'SIGKILL');
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The process runs from, or names, one of `roots` (so a reused pid is never killed). */
function belongs(pid, roots) {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    return roots.some((r) => cmdline.includes(r) || cwd.startsWith(r));
  } catch {
    return false;
  }
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** slipway.yml as the tests write it (test/helpers/project.ts): quick health checks, blue/green, keepWarm 5m. */
function slipwayYml(port, { env = {}, startTimeout = '10s' } = {}) {
  const envLines = Object.entries({ GREETING: 'Hello', ...env })
    .map(([k, v]) => `  ${k}: "${v}"`)
    .join('\n');
  return `app: hello
build:
  command: node build.js
run:
  command: node server.js
  stopTimeout: 5s
healthCheck:
  path: /healthz
  interval: 200ms
  timeout: 1s
  healthyThreshold: 2
  startTimeout: ${startTimeout}
env:
${envLines}
environments:
  production:
    publicPort: ${port}
    bindAddress: 127.0.0.1
    strategy:
      kind: blue-green
      keepWarm: 5m
      drainTimeout: 5s
`;
}

/** The load client in its own process; `stop()` ends it (SIGTERM) and resolves with its report. */
async function startLoad(group, url, s) {
  const load = await group.startServer('fault load client', process.execPath, [
    LOAD_CLIENT,
    url,
    String(s.concurrency),
    String(s.clientTimeoutMs),
    String(s.loadMaxMs),
    String(s.loadMaxRequests),
  ]);
  const reportLine = new Promise((resolveLine) => {
    load.lines.on('line', (line) => {
      if (line.startsWith('{"url"')) resolveLine(line);
    });
  });
  return {
    async stop() {
      await group.stop(load.pid, 10_000);
      const line = await Promise.race([reportLine, sleep(5_000).then(() => null)]);
      if (!line) throw new Error(`the load client printed no report: ${load.stderrTail()}`);
      return JSON.parse(line);
    },
  };
}

/** Polls `probe` every `everyMs` until it gives a truthy value: { atMs (performance.now()), value }, or null. */
async function pollUntil(probe, timeoutMs, everyMs) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value) return { atMs: performance.now(), value };
    await sleep(everyMs);
  }
  return null;
}

/** `ping` on a control socket (JSON lines); resolves with the answering pid if it is not `oldPid`, else null. */
function pingAnsweredByOther(socketPath, oldPid) {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    const done = (value) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(500, () => done(null));
    socket.once('error', () => done(null));
    socket.once('connect', () => socket.write(`${JSON.stringify({ id: 1, method: 'ping', params: {} })}\n`));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      const pid = tryParse(text.slice(0, nl))?.result?.pid;
      done(typeof pid === 'number' && pid !== oldPid ? pid : null);
    });
  });
}

/** GET / on a new connection (no keep-alive): { status, release } or a rejection (500 ms bound). */
function getOnce(port, agent = false, timeoutMs = 500) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          release: /hello (\S+) \(pid/.exec(body)?.[1] ?? res.headers['x-release'],
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

async function servesOnNewConnection(port) {
  const r = await getOnce(port);
  return r.status === 200;
}

/** The release a new connection is served by (null unless a 200). */
async function releaseOnNewConnection(port) {
  const r = await getOnce(port, false, 2_000);
  return r.status === 200 ? (r.release ?? 'unknown') : null;
}

/** GET / on one keep-alive connection every `everyMs`: which releases answered (and how often), and errors. */
function startReleaseSampler(port, everyMs) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const releases = {};
  let errors = 0;
  let stopped = false;
  const loop = (async () => {
    const deadline = Date.now() + 600_000;
    while (!stopped && Date.now() < deadline) {
      try {
        const r = await getOnce(port, agent, 5_000);
        const key = r.status === 200 ? (r.release ?? 'unknown') : `status ${r.status}`;
        releases[key] = (releases[key] ?? 0) + 1;
      } catch {
        errors++;
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      agent.destroy();
      return { releases, errors };
    },
  };
}

/** Wall time of `node -e 0`, spawn to exit, `n` times (through the group). */
async function timeNodeStarts(group, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const proc = group.start('node -e 0', process.execPath, ['-e', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const code = await Promise.race([proc.exited, sleep(30_000).then(() => 'timeout')]);
    if (code === 'timeout') {
      await group.stop(proc.pid, 1_000);
      throw new Error('node -e 0 did not exit within 30 s');
    }
    out.push(round1(performance.now() - t0));
  }
  return out;
}

/** How long ago the process started, from /proc (null when unknown). */
function processAgeMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Math.round(uptimeS * 1000 - (startTicks * 1000) / clockTicks());
  } catch {
    return null;
  }
}

let ticks;
function clockTicks() {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

function fileSize(path) {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path, offset) {
  try {
    return readFileSync(path).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

const sampleEnds = (xs, n = 5) => (xs.length <= 2 * n ? xs : [...xs.slice(0, n), ...xs.slice(-n)]);
const round1 = (x) => Math.round(x * 10) / 10;
const maxOf = (rows, key) => Math.max(...rows.map((r) => r[key]));
const loadAvg = () => os.loadavg().map((n) => Math.round(n * 100) / 100);
const firstLine = (text) => text.split('\n').find((l) => l.trim()) ?? '';

const ms0 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(0));
const ratio = (x) => (Number.isFinite(x) ? `${x.toFixed(1)}×` : 'n/a');
const yes = (b) => (b ? '**met**' : '**not met**');
const int = (n) => n.toLocaleString('en-US');

function describeKill(r) {
  return (
    `${int(r.requests)} requests, ${r.failed} failed, longest gap ${ms0(r.longestGapMs)} ms; ` +
    `new pid answers after ${ms0(r.backAfterMs)} ms, port serves a new connection after ${ms0(r.servingAfterMs)} ms` +
    (r.kind === 'agent' ? `; router pid ${r.routerPidUnchanged ? 'unchanged' : 'CHANGED'}` : '') +
    (r.failed ? `; last failure ended ${ms0(r.lastFailureEndAfterKillMs)} ms after the kill` : '')
  );
}

function describeDeploy(r) {
  return (
    `killed ${ms0(r.killedDeploy.killedIntoHealthStepMs)} ms into its health check; ` +
    `deploy again: exit ${r.secondDeploy.exitCode}${r.secondDeploy.failedItsHealthCheck ? ' (health check failed)' : ''} ` +
    `in ${ms0(r.secondDeploy.ms)} ms; seen ${JSON.stringify(r.releasesSeen)}; after: ${r.servingAfter}; ` +
    `${int(r.requests)} requests, ${r.failed} failed`
  );
}

/** `| label | median | max | per round |` */
function statRow(label, values, fmt = ms0) {
  const finite = values.filter((v) => v !== null && Number.isFinite(v));
  const max = finite.length ? Math.max(...finite) : NaN;
  return `| ${label} | ${fmt(median(finite))} | ${fmt(max)} | ${values.map((v) => (v === null ? 'none' : fmt(v))).join(', ')} |`;
}

function renderMarkdown(j) {
  const s = j.settings;
  const node = j.nodeStartMs.median;
  const a = j.agentKill;
  const r = j.routerKill;
  const d = j.interruptedDeploy;
  const f = j.fullDisk;
  const counts = (rows, key) =>
    `total **${int(rows.reduce((n, x) => n + x[key], 0))}** | | ${rows.map((x) => int(x[key])).join(', ')} |`;
  const lines = [
    `## faults`,
    ``,
    `One run on a copy of examples/hello on the local host (keeper, router process and agent in ` +
      `\`<project>/.slipway/agent\`; blue/green, health check every 200 ms). A load client in its own process ` +
      `(\`bench/lib/fault-load-client.mjs\`) keeps ${s.concurrency} keep-alive connections sending GET / to the ` +
      `public port, each request given up after ${s.clientTimeoutMs / 1000} s; a round's load starts ` +
      `${s.warmMs / 1000} s before its fault. Failed: no answer within ${s.clientTimeoutMs / 1000} s, a socket ` +
      `error, or not a 200. Longest gap: the longest stretch in which none of the connections got a 200. ` +
      `A Node start (\`node -e 0\`, spawn to exit, median of ${j.nodeStartMs.runs.length}) took ` +
      `**${ms0(node)} ms** in this run (${j.nodeStartMs.runs.map(ms0).join(', ')}). Load average at the start ` +
      `${j.loadAvgAtStart.join(' ')}, at the end ${j.loadAvgAtEnd.join(' ')}.`,
    ``,
    `### Agent SIGKILLed under load (${a.rounds.length} rounds)`,
    ``,
    `SIGKILL to the pid in agent.pid; then, every ${s.probeEveryMs} ms, \`ping\` on agent.sock until a process ` +
      `other than the killed one answers, and GET / on a new connection to the public port until a 200. The load ` +
      `goes on ${s.afterMs / 1000} s after both. Rounds alternate with the router's; each agent had run ` +
      `≥ ${s.minAgeAtKillMs / 1000} s when killed (the keeper restarts a child that lived 10 s at once, one that ` +
      `died sooner after a backoff).`,
    ``,
    `| measure | median | max | per round |`,
    `| --- | ---: | ---: | --- |`,
    `| requests | ${counts(a.rounds, 'requests')}`,
    `| failed requests | ${counts(a.rounds, 'failed')}`,
    statRow(
      'longest time without a 200 (ms)',
      a.rounds.map((x) => x.longestGapMs),
    ),
    statRow(
      'SIGKILL → a new agent answers ping (ms)',
      a.rounds.map((x) => x.backAfterMs),
    ),
    statRow(
      'the same, in Node starts',
      a.rounds.map((x) => (x.backAfterMs === null ? null : x.backAfterMs / node)),
      ratio,
    ),
    statRow(
      'SIGKILL → a new connection gets a 200 (ms)',
      a.rounds.map((x) => x.servingAfterMs),
    ),
    `| router process (router.pid) unchanged | ${a.summary.routerPidUnchanged} of ${a.rounds.length} | | ${a.rounds.map((x) => (x.routerPidUnchanged ? 'yes' : 'no')).join(', ')} |`,
    `| **bar**: 0 failed; the agent back within 2 s with no command run | ${yes(a.summary.barMet)} | | |`,
    ``,
    `### Router process SIGKILLed under load (${r.rounds.length} rounds)`,
    ``,
    `SIGKILL to the pid in router.pid; then, every ${s.probeEveryMs} ms, GET / on a new connection to the public ` +
      `port until a 200, and \`ping\` on router.sock until a new process answers. "Last failure ended": the end of ` +
      `the last failed request (its start + its duration) after the SIGKILL. Each router process had run ` +
      `≥ ${s.minAgeAtKillMs / 1000} s when killed.`,
    ``,
    `| measure | median | max | per round |`,
    `| --- | ---: | ---: | --- |`,
    `| requests | ${counts(r.rounds, 'requests')}`,
    `| failed requests | ${counts(r.rounds, 'failed')}`,
    statRow(
      'longest time without a 200 (ms)',
      r.rounds.map((x) => x.longestGapMs),
    ),
    statRow(
      'SIGKILL → a new connection gets a 200 (ms)',
      r.rounds.map((x) => x.servingAfterMs),
    ),
    statRow(
      'the same, in Node starts',
      r.rounds.map((x) => (x.servingAfterMs === null ? null : x.servingAfterMs / node)),
      ratio,
    ),
    statRow(
      'SIGKILL → a new router process answers ping (ms)',
      r.rounds.map((x) => x.backAfterMs),
    ),
    statRow(
      'SIGKILL → the last failed request ended (ms)',
      r.rounds.map((x) => x.lastFailureEndAfterKillMs),
    ),
    `| failed requests that did not end within the second after the SIGKILL | total **${r.summary.failedOutsideFirstSecond}** | | ${r.rounds.map((x) => x.failedOutsideFirstSecond).join(', ')} |`,
    `| **bar**: traffic flows again within 1 s; failed requests only inside that second | ${yes(r.summary.barMet)} | | |`,
    ``,
    `### A deploy of a never-healthy release killed in its health check, then \`deploy\` again (${d.rounds.length} rounds)`,
    ``,
    `${GOOD} serves; ${BROKEN} answers 503 on /healthz for ever (\`FAIL_HEALTH=1\`, \`startTimeout: ` +
      `${s.brokenStartTimeout}\`). \`slipway deploy production --release ${BROKEN}\` is SIGKILLed ` +
      `${s.killIntoHealthMs} ms after its "health check" step begins (seen on its stdout), then the same command is ` +
      `run again to its end. The load covers the whole round; besides it, GET / on one keep-alive connection every ` +
      `${s.samplerEveryMs} ms notes which release answers.`,
    ``,
    `| measure | median | max | per round |`,
    `| --- | ---: | ---: | --- |`,
    `| requests | ${counts(d.rounds, 'requests')}`,
    `| failed requests | ${counts(d.rounds, 'failed')}`,
    statRow(
      'longest time without a 200 (ms)',
      d.rounds.map((x) => x.longestGapMs),
    ),
    statRow(
      'first deploy killed, ms into its health check',
      d.rounds.map((x) => x.killedDeploy.killedIntoHealthStepMs),
    ),
    `| second deploy: exit code | | | ${d.rounds.map((x) => `${x.secondDeploy.exitCode}${x.secondDeploy.failedItsHealthCheck ? ' (health check failed)' : ''}`).join(', ')} |`,
    statRow(
      'second deploy: wall time (ms)',
      d.rounds.map((x) => x.secondDeploy.ms),
    ),
    `| releases that answered during the round (sampler) | | | ${d.rounds.map((x) => fmtSeen(x.releasesSeen)).join('; ')} |`,
    `| release serving after the round | | | ${d.rounds.map((x) => x.servingAfter).join(', ')} |`,
    `| ${BROKEN} targets left running after the round | total ${d.summary.brokenTargetsLeft} | | ${d.rounds.map((x) => x.brokenTargetsLeft.length).join(', ')} |`,
    `| **bar**: the second deploy fails its health check; the old release keeps serving; 0 failed | ${yes(d.summary.barMet)} | | |`,
    ``,
    `### Full agent disk, then \`rollback\``,
    ``,
  ];
  if (f.skipped) {
    lines.push(`Not measured: ${f.skipped}.`, ``);
    return lines.join('\n');
  }
  const fr = f.fullDiskRollback;
  const rr = f.roomyRollback;
  lines.push(
    `A second project whose agent home is a ${f.diskBytes / 2 ** 20} MiB tmpfs (symlinked before the first CLI ` +
      `call). ${GOOD} then ${OTHER} deployed (${f.servingBefore} serving). Under load, the disk is filled (a filler ` +
      `file written until ENOSPC: ${int(fr.filledBytes)} bytes) and \`slipway rollback production\` run; the filler ` +
      `is removed; the router process is SIGKILLed and, once a new one serves, asked which release it serves. Then a ` +
      `rollback with room, and the router killed again.`,
    ``,
    `| measure | value |`,
    `| --- | --- |`,
    `| rollback on a full disk: exit code | ${fr.exitCode}${fr.saidDone ? ' (said ✔)' : ''} |`,
    `| its stderr, first line | ${fr.stderrFirstLine ? `\`${fr.stderrFirstLine.replaceAll('|', '\\|')}\`` : '(none)'} |`,
    `| its reason (stderr's \`error:\` and \`hint:\` lines) | ${
      [fr.stderrError, fr.stderrHint]
        .filter(Boolean)
        .map((l) => `\`${l.replaceAll('|', '\\|')}\``)
        .join('<br>') || '(none)'
    } |`,
    `| requests during it / failed | ${int(fr.requests)} / **${fr.failed}** |`,
    `| releases that answered during it (sampler) / serving after it | ${fmtSeen(fr.releasesSeen)} / ${fr.servingAfter} |`,
    `| router SIGKILLed: the new one serves (expected: the last ✔, ${f.afterFirstRouterRestart.expected}) | ${f.afterFirstRouterRestart.serving ?? 'nothing'}, after ${ms0(f.afterFirstRouterRestart.servingAfterMs)} ms |`,
    `| rollback with room: exit code | ${rr.exitCode}${rr.saidDone ? ' (said ✔)' : ''} |`,
    `| requests during it / failed | ${int(rr.requests)} / **${rr.failed}** |`,
    `| router SIGKILLed: the new one serves (expected ${f.afterSecondRouterRestart.expected}) | ${f.afterSecondRouterRestart.serving ?? 'nothing'}, after ${ms0(f.afterSecondRouterRestart.servingAfterMs)} ms |`,
    `| **bar**: refused with a clear reason, or done and durable; a restarted router serves the last ✔ | ${yes(f.barMet)} |`,
    ``,
  );
  return lines.join('\n');
}

const fmtSeen = (seen) =>
  Object.entries(seen)
    .map(([k, v]) => `${k} × ${int(v)}`)
    .join(', ') || 'none';
