// Canary abort under open-loop load (full stack: CLI → agent → router → targets). For each case, a good 1.0.0
// serves while an open-loop client sends GET / at a fixed rate (no cookies: every request is a new user); then a
// bad 2.0.0 (injected 5xx, or injected latency) is deployed with the canary strategy. Measures how long users
// got bad responses before the canary's weight went back to 0 (abort time), and what share of all requests of
// the run were bad (blast radius). Called by bench/run.mjs.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort, sleep, tryParse } from './lib/processes.mjs';
import { helloConfig } from './lib/hello-config.mjs';

export const name = 'canary';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const RATE_CLIENT = join(ROOT, 'bench', 'lib', 'rate-client.mjs');
const GOOD = '1.0.0';
const BAD = '2.0.0';

/** What makes 2.0.0 bad, per kind: the env knob of examples/hello, and what counts as a bad response. */
const KINDS = {
  errors: { knob: { ERROR_RATE: '0.2' }, label: 'errors (ERROR_RATE=0.2)', bad: '5xx or failed responses' },
  latency: {
    knob: { EXTRA_LATENCY_MS: '150' },
    label: 'latency (EXTRA_LATENCY_MS=150)',
    bad: `responses from the canary (x-release: ${BAD})`,
  },
};

const list = (text, fallback) =>
  text
    ? text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : fallback;

function settings(env = process.env) {
  const kinds = list(env.BENCH_CANARY_KINDS, Object.keys(KINDS));
  for (const k of kinds)
    if (!(k in KINDS))
      throw new Error(`BENCH_CANARY_KINDS: unknown kind ${k}; known: ${Object.keys(KINDS).join(', ')}`);
  return {
    kinds,
    weights: list(env.BENCH_CANARY_WEIGHTS, ['5', '20']).map(Number),
    rates: list(env.BENCH_CANARY_RATES, ['100', '1000']).map(Number),
    /** Steady traffic on 1.0.0 before the canary deploy starts. */
    warmupMs: Number(env.BENCH_CANARY_WARMUP_MS ?? 2000),
    /** Traffic after the deploy returned, to see that 1.0.0 still serves everyone. */
    cooldownMs: Number(env.BENCH_CANARY_COOLDOWN_MS ?? 1000),
    analysisInterval: env.BENCH_CANARY_INTERVAL ?? '500ms',
    /** BENCH_CANARY_TRIPWIRE=0 measures the control plane's analysis alone. */
    tripwire: env.BENCH_CANARY_TRIPWIRE !== '0',
    analysisTimeout: '60s',
    /** A deploy still running after this is aborted (`slipway abort`), then killed. */
    deployLimitMs: 120_000,
  };
}

function config({ port, strategy, env }) {
  return helloConfig(port, strategy, { env: { GREETING: 'Hello', ...env }, stopTimeout: '5s' });
}

const BLUE_GREEN = `      kind: blue-green
      keepWarm: 0s
      drainTimeout: 2s`;

const canaryStrategy = (weight, s) => `      kind: canary
      steps:
        - setWeight: ${weight}
        - analysis: { timeout: ${s.analysisTimeout} }
        - setWeight: 100
      analysis:
        interval: ${s.analysisInterval}
        tripwire: ${s.tripwire}
      keepWarm: 0s
      drainTimeout: 2s`;

/** Runs the CLI; resolves with exit code, output and wall time (never rejects on a non-zero exit). */
function cli(dir, args, { timeoutMs = 60_000, onStart } = {}) {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, '-c', join(dir, 'slipway.yml'), ...args],
      {
        env: { ...process.env, NO_COLOR: '1' },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : (err.signal ?? 'error')) : 0;
        resolve({ code, stdout, stderr, ms: performance.now() - started });
      },
    );
    onStart?.(child);
  });
}

async function cliOk(dir, args) {
  const r = await cli(dir, args);
  if (r.code !== 0) throw new Error(`slipway ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r;
}

/** Deploys; a deploy still running after limitMs (an inconclusive canary waits for promote) is aborted, then killed. */
async function deployBounded(dir, version, limitMs, log) {
  let child = null;
  const deploy = cli(dir, ['deploy', 'production', '--release', version], {
    timeoutMs: limitMs + 60_000,
    onStart: (c) => (child = c),
  });
  const first = await Promise.race([deploy, sleep(limitMs).then(() => null)]);
  if (first) return { ...first, abortedByBench: false };
  log(`    deploy still running after ${limitMs / 1000}s: slipway abort production`);
  await cli(dir, ['abort', 'production', '--reason', 'benchmark time limit']);
  const second = await Promise.race([deploy, sleep(30_000).then(() => null)]);
  if (second) return { ...second, abortedByBench: true };
  if (child?.pid) process.kill(child.pid, 'SIGKILL');
  return { ...(await deploy), abortedByBench: true };
}

/** Asks the public port a few times which release answers (no cookie, so each request is a new user). */
async function probeReleases(port, n = 20) {
  const seen = {};
  for (let i = 0; i < n; i++) {
    try {
      const res = await request(`http://127.0.0.1:${port}/`, { headersTimeout: 5000, bodyTimeout: 5000 });
      await res.body.dump();
      const key = `${res.statusCode} ${res.headers['x-release'] ?? 'none'}`;
      seen[key] = (seen[key] ?? 0) + 1;
    } catch (err) {
      seen[`error ${err?.code ?? err}`] = (seen[`error ${err?.code ?? err}`] ?? 0) + 1;
    }
  }
  return seen;
}

function readAgentJournal(dir) {
  const file = join(dir, '.slipway', 'agent', 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').map(tryParse).filter(Boolean);
}

/** One case: fresh project, good 1.0.0, load, bad 2.0.0 as a canary; everything stopped and removed after. */
async function runCase({ kind, weight, rate }, s, { group, log }) {
  const dir = mkdtempSync('/tmp/swc-');
  cpSync(join(ROOT, 'examples', 'hello'), dir, {
    recursive: true,
    filter: (src) => !src.includes('.slipway'),
  });
  const port = await freePort();
  let client = null;
  try {
    writeFileSync(join(dir, 'slipway.yml'), config({ port, strategy: BLUE_GREEN, env: {} }));
    await cliOk(dir, ['release', 'create', '--version', GOOD]);
    await cliOk(dir, ['deploy', 'production', '--release', GOOD]);

    // Bounded: the case never takes more than a few minutes; the count bound is the same at the given rate.
    const maxMs = s.deployLimitMs + 90_000 + s.warmupMs + s.cooldownMs;
    client = await group.startServer('rate-client', process.execPath, [
      RATE_CLIENT,
      `http://127.0.0.1:${port}`,
      String(rate),
      String(maxMs),
      String(Math.ceil((rate * maxMs) / 1000)),
      '5000',
    ]);
    const reportLine = new Promise((resolve) => {
      client.lines.on('line', (line) => {
        const parsed = tryParse(line);
        if (parsed && 'total' in parsed) resolve(parsed);
      });
      void client.exited.then(() => resolve(null));
    });
    await sleep(s.warmupMs);

    // Releases snapshot their env: the knob goes into slipway.yml before `release create`.
    writeFileSync(
      join(dir, 'slipway.yml'),
      config({ port, strategy: canaryStrategy(weight, s), env: KINDS[kind].knob }),
    );
    await cliOk(dir, ['release', 'create', '--version', BAD]);
    const deployStartedAtMs = Date.now();
    const deploy = await deployBounded(dir, BAD, s.deployLimitMs, log);
    const deployEndedAtMs = Date.now();
    await sleep(s.cooldownMs);
    const afterDeploy = await probeReleases(port);

    await group.stop(client.pid, 10_000);
    const report = await reportLine;
    client = null;
    if (!report) throw new Error('the rate client printed no report');

    const history = await cliOk(dir, ['history', 'production', '--json', '--limit', '200']);
    const ledger = JSON.parse(history.stdout).filter((e) => e.atMs >= deployStartedAtMs);
    const journal = readAgentJournal(dir).filter((e) => e.atMs >= deployStartedAtMs);
    return measure({
      kind,
      weight,
      rate,
      deploy,
      deployStartedAtMs,
      deployEndedAtMs,
      afterDeploy,
      report,
      ledger,
      journal,
    });
  } finally {
    if (client) await group.stop(client.pid, 10_000);
    await cli(dir, ['agent', 'stop', '--stop-targets']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

function measure({
  kind,
  weight,
  rate,
  deploy,
  deployStartedAtMs,
  deployEndedAtMs,
  afterDeploy,
  report,
  ledger,
  journal,
}) {
  const byTime = (a, b) => a.atMs - b.atMs;
  ledger.sort(byTime);
  journal.sort(byTime);
  // The router's tripwire clears the split by itself and says so as `canary.tripped` (with weight 0).
  const weighted = journal.filter((e) => e.kind === 'traffic.weighted' || e.kind === 'canary.tripped');
  const weightOn = weighted.find((e) => e.data?.weight === weight);
  const weightZero = weighted.find((e) => e.data?.weight === 0);
  const failedVerdict = ledger.find((e) => e.kind === 'canary.verdict' && e.data?.result === 'failed');
  const verdicts = ledger
    .filter((e) => e.kind === 'canary.verdict')
    .map((e) => ({ atMs: e.atMs, result: e.data?.result }));
  const stepFailed = ledger.find((e) => e.kind === 'step.failed');
  const finished = ledger.find((e) => /^deploy\.(succeeded|failed|rolled-back)$/.test(e.kind));

  const canary = report.releases[BAD] ?? { count: 0, firstAtMs: null, lastAtMs: null, meanLatencyMs: null };
  const stable = report.releases[GOOD] ?? { count: 0, meanLatencyMs: null };
  const bad =
    kind === 'errors'
      ? { count: report.failed, firstAtMs: report.firstBadAtMs, lastAtMs: report.lastBadAtMs }
      : { count: canary.count, firstAtMs: canary.firstAtMs, lastAtMs: canary.lastAtMs };
  const sinceFirstBad = (t) => (t != null && bad.firstAtMs != null ? t - bad.firstAtMs : null);

  // Requests answered while the canary had traffic (weight on → weight 0), from the per-second timeline.
  const window = exposureWindow(report, weightOn?.atMs, weightZero?.atMs);
  const v1Only = Object.keys(afterDeploy).every((k) => k === `200 ${GOOD}`);
  const last = report.timeline.at(-1);
  return {
    case: { kind, bad: KINDS[kind].bad, weightPercent: weight, ratePerSecond: rate },
    deploy: {
      exitCode: deploy.code,
      outcome: finished?.kind ?? null,
      abortedByBenchTimeLimit: deploy.abortedByBench,
      cliMs: Math.round(deploy.ms),
      error: deploy.code === 0 ? null : lastLines(deploy.stderr || deploy.stdout, 3),
    },
    aborted:
      deploy.code !== 0 &&
      v1Only &&
      (finished?.kind === 'deploy.rolled-back' || finished?.kind === 'deploy.failed'),
    afterDeploy: { probes: afterDeploy, v1Only },
    timesMs: {
      deployStartedAt: deployStartedAtMs,
      canaryWeightOnAt: weightOn?.atMs ?? null,
      firstBadResponseAt: bad.firstAtMs,
      verdictFailedAt: failedVerdict?.atMs ?? null,
      stepFailedAt: stepFailed?.atMs ?? null,
      canaryWeightZeroAt: weightZero?.atMs ?? null,
      lastBadResponseAt: bad.lastAtMs,
      deployFinishedAt: finished?.atMs ?? null,
      deployReturnedAt: deployEndedAtMs,
    },
    abortMs: sinceFirstBad(weightZero?.atMs),
    abortedBy: weightZero ? (weightZero.kind === 'canary.tripped' ? 'tripwire' : 'analysis') : null,
    weightOnToZeroMs: weightOn && weightZero ? weightZero.atMs - weightOn.atMs : null,
    firstBadToVerdictMs: sinceFirstBad(failedVerdict?.atMs),
    verdictToWeightZeroMs: failedVerdict && weightZero ? weightZero.atMs - failedVerdict.atMs : null,
    lastBadAfterWeightZeroMs: bad.lastAtMs != null && weightZero ? bad.lastAtMs - weightZero.atMs : null,
    verdicts,
    verdictReason: failedVerdict ? failedVerdict.message : null,
    requests: {
      total: report.total,
      failed: report.failed,
      bad: bad.count,
      blastRadius: report.total > 0 ? bad.count / report.total : null,
      canaryResponses: canary.count,
      byStatus: report.byStatus,
      byRelease: report.byRelease,
      duringExposure: window,
      meanLatencyMs: { stable: stable.meanLatencyMs, canary: canary.meanLatencyMs },
      errors: report.errors.slice(0, 5),
    },
    client: {
      ratePerSecond: report.ratePerSecond,
      achievedSendRate: report.achievedSendRate,
      achievedResponseRate: report.achievedResponseRate,
      maxSchedulerLagMs: report.maxSchedulerLagMs,
      durationMs: report.durationMs,
      unfinished: report.unfinished,
      connections: report.connections,
      lastSecond: last ? { s: last.s, total: last.total, byRelease: last.byRelease } : null,
    },
    timeline: report.timeline,
  };
}

/** Totals of the whole seconds of the client's timeline that overlap [fromMs, toMs]: an approximation to ±1 s. */
function exposureWindow(report, fromMs, toMs) {
  if (fromMs == null || toMs == null) return null;
  const first = Math.floor((fromMs - report.startedAtMs) / 1000);
  const last = Math.floor((toMs - report.startedAtMs) / 1000);
  const seconds = report.timeline.filter((t) => t.s >= first && t.s <= last);
  const total = seconds.reduce((n, t) => n + t.total, 0);
  return { seconds: seconds.length, total };
}

const lastLines = (text, n) => text.trim().split('\n').slice(-n).join('\n');

/** @param {{ group: import('./lib/processes.mjs').ProcessGroup, log: (line: string) => void }} ctx */
export async function run({ group, log }) {
  const s = settings();
  const cases = [];
  for (const kind of s.kinds)
    for (const weight of s.weights) for (const rate of s.rates) cases.push({ kind, weight, rate });
  const results = [];
  for (const [i, c] of cases.entries()) {
    log(`  case ${i + 1}/${cases.length}: ${KINDS[c.kind].label}, weight ${c.weight}%, ${c.rate} req/s`);
    const r = await runCase(c, s, { group, log });
    results.push(r);
    log(
      `    aborted ${r.aborted} (exit ${r.deploy.exitCode}, ${r.deploy.outcome}); abort ${fmtMs(r.abortMs)}; ` +
        `bad ${r.requests.bad}/${r.requests.total} (${fmtPct(r.requests.blastRadius)}); ` +
        `client ${r.client.achievedSendRate} req/s sent, max lag ${r.client.maxSchedulerLagMs} ms`,
    );
  }
  const json = { settings: s, targets: { abortMsAt100: 10_000, blastRadius: 0.005 }, cases: results };
  return { json, markdown: renderMarkdown(json) };
}

const fmtMs = (x) => (x == null ? 'n/a' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const fmtPct = (x) => (x == null ? 'n/a' : `${(x * 100).toFixed(3)}%`);
const at = (t, base) => (t == null || base == null ? 'n/a' : `${t - base >= 0 ? '+' : ''}${t - base} ms`);

function renderMarkdown(j) {
  const s = j.settings;
  const out = [
    `## Canary abort under load (full stack: CLI → agent → router → targets)`,
    ``,
    `Per case: 1.0.0 (good) serves; an open-loop client sends GET / at a fixed rate, without cookies (each request a ` +
      `new user, so the weight applies per request); after ${s.warmupMs / 1000} s, 2.0.0 (bad) is deployed with ` +
      `\`strategy: canary\`, steps \`[{ setWeight: W }, { analysis: { timeout: ${s.analysisTimeout} } }, { setWeight: 100 }]\`, ` +
      `analysis \`interval: ${s.analysisInterval}\` and the default thresholds (no \`maxP99\`: the latency case must be caught by the ` +
      `comparison with stable), tripwire ${s.tripwire ? 'on (the default)' : 'off'}. The client stops ${s.cooldownMs / 1000} s after the deploy command returns.`,
    ``,
    `- **abort time** = the agent's weight-0 event (agent journal, \`events.jsonl\`): \`canary.tripped\` when the router's ` +
      `tripwire cleared the split by itself, \`traffic.weighted\` with weight 0 when the control plane's analysis did ` +
      `(column "by") − the first bad response the client saw. Both are \`Date.now()\` on this machine.`,
    `- **bad response**: errors case — a 5xx (or failed) response; latency case — a response from the canary ` +
      `(\`x-release: ${BAD}\`), since every one of them is 150 ms slower.`,
    `- **blast radius** = bad responses / all responses of the run (${s.warmupMs / 1000} s before the deploy, the deploy, ` +
      `${s.cooldownMs / 1000} s after): it shrinks as the run grows, so the absolute count is given too.`,
    `- **aborted**: the deploy exited non-zero, the ledger ends it with \`deploy.rolled-back\` (or \`deploy.failed\`), and 20 requests after it all got 200 from ${GOOD}.`,
    ``,
    `Targets (from the issue): abort ≤ 10 s at 100 req/s; blast radius ≤ 0.5% of requests.`,
    ``,
    `| case | aborted | by | abort time | weight on → 0 | first bad → failed verdict | verdict → weight 0 | bad / total | blast radius | client rate (sent/s) |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
  ];
  for (const c of j.cases) {
    out.push(
      `| ${c.case.kind}, ${c.case.weightPercent}%, ${c.case.ratePerSecond} req/s | ${c.aborted ? 'yes' : '**no**'} | ${c.abortedBy ?? '–'} | ${fmtMs(c.abortMs)} | ` +
        `${fmtMs(c.weightOnToZeroMs)} | ${fmtMs(c.firstBadToVerdictMs)} | ${fmtMs(c.verdictToWeightZeroMs)} | ` +
        `${c.requests.bad} / ${c.requests.total} | ${fmtPct(c.requests.blastRadius)} | ${c.client.achievedSendRate} |`,
    );
  }
  out.push('');
  for (const c of j.cases) {
    const t = c.timesMs;
    const base = t.firstBadResponseAt;
    out.push(
      `### ${KINDS[c.case.kind].label}, canary weight ${c.case.weightPercent}%, ${c.case.ratePerSecond} req/s`,
      ``,
      `| measure | value |`,
      `| --- | --- |`,
      `| aborted (exit code, ledger outcome, ${GOOD} serving after) | ${c.aborted ? 'yes' : '**no**'} (exit ${c.deploy.exitCode}, ${c.deploy.outcome ?? 'n/a'}, ${c.afterDeploy.v1Only ? `${GOOD} only` : JSON.stringify(c.afterDeploy.probes)}) |`,
      `| abort time (first bad response → weight 0) | ${fmtMs(c.abortMs)} |`,
      `| canary weight ${c.case.weightPercent}% set (relative to first bad response) | ${at(t.canaryWeightOnAt, base)} |`,
      `| failed verdict in the ledger | ${at(t.verdictFailedAt, base)} |`,
      `| step.failed in the ledger | ${at(t.stepFailedAt, base)} |`,
      `| weight 0 (agent journal) | ${at(t.canaryWeightZeroAt, base)} |`,
      `| last bad response | ${at(t.lastBadResponseAt, base)} |`,
      `| deploy.rolled-back in the ledger | ${at(t.deployFinishedAt, base)} |`,
      `| bad responses (${c.case.bad}) | ${c.requests.bad} |`,
      `| all responses of the run | ${c.requests.total} (${c.requests.failed} failed; by release ${JSON.stringify(c.requests.byRelease)}) |`,
      `| blast radius (bad / all) | ${fmtPct(c.requests.blastRadius)} |`,
      `| responses while the canary had traffic (whole seconds overlapping) | ${c.requests.duringExposure ? `${c.requests.duringExposure.total} in ${c.requests.duringExposure.seconds} s` : 'n/a'} |`,
      `| mean latency seen by the client, stable / canary | ${fmtLatency(c.requests.meanLatencyMs.stable)} / ${fmtLatency(c.requests.meanLatencyMs.canary)} |`,
      `| verdict | ${c.verdictReason ? escapeCell(c.verdictReason) : 'no failed verdict'} |`,
      `| client: asked / sent / answered per second, max scheduler lag | ${c.client.ratePerSecond} / ${c.client.achievedSendRate} / ${c.client.achievedResponseRate}, ${c.client.maxSchedulerLagMs} ms |`,
      `| deploy CLI wall time | ${fmtMs(c.deploy.cliMs)} |`,
      ``,
    );
  }
  out.push(
    `### For comparison: published defaults of Kubernetes canary controllers`,
    ``,
    `- **Flagger** checks a canary once per analysis \`interval\` and rolls it back after \`threshold\` failed checks, so a ` +
      `failing canary keeps its traffic for at least interval × threshold. In its source, the interval defaults to 60 s ` +
      `(and cannot be set below 10 s) and the threshold to 1; the builtin metrics (request success rate, request duration) ` +
      `are computed over a 1 m window by default (fluxcd/flagger, \`pkg/apis/flagger/v1beta1/canary.go\`: \`AnalysisInterval = 60 * time.Second\`, ` +
      `\`GetAnalysisThreshold\` "default 1", \`MetricInterval = "1m"\`). Its documentation's example canaries use ` +
      `\`interval: 1m\` with \`threshold: 10\` (docs/gitbook/usage/how-it-works.md; https://fluxcd.io/flagger/usage/how-it-works/) or ` +
      `\`threshold: 5\`, i.e. an abort after 5–10 minutes of failing checks; with the defaults, at least 1 minute.`,
    `- **Argo Rollouts** runs an AnalysisTemplate's measurement every \`interval\` and fails after \`failureLimit\` failed ` +
      `measurements; the documented examples use \`interval: 5m\` with \`failureLimit: 3\` ` +
      `(https://argoproj.github.io/argo-rollouts/features/analysis/, https://argoproj.github.io/argo-rollouts/analysis/graphite), ` +
      `so an abort there takes several minutes.`,
    ``,
  );
  return out.join('\n');
}

const fmtLatency = (x) => (x == null ? 'n/a' : `${x} ms`);
const escapeCell = (text) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
