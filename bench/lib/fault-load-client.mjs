// The load client of bench/edge-faults-bench.mjs, in its own process: `concurrency` keep-alive connections send
// GET / to the URL, each request given up after `timeoutMs` (as a user's client would), until SIGTERM, `maxMs` or
// `maxRequests`, whichever comes first. It prints `{ ready: true }`, then one JSON line with what it saw: counts,
// latency percentiles (every request, answered or not), and the slow and failed requests with their start times
// (epoch ms, so the benchmark can place them around the cut).
//
// Usage: node fault-load-client.mjs <url> [concurrency=6] [timeoutMs=5000] [maxMs=60000] [maxRequests=1000000]
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

const [url, concurrencyArg = '6', timeoutArg = '5000', maxMsArg = '60000', maxRequestsArg = '1000000'] =
  process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const timeoutMs = Number(timeoutArg);
const deadline = Date.now() + Number(maxMsArg);
const maxRequests = Number(maxRequestsArg);
/** Requests slower than this are listed one by one (with their start time). */
const SLOW_MS = 500;
const LISTED = 500;

const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
let latencies = new Float64Array(1 << 16);
let count = 0;
const report = {
  url,
  concurrency,
  timeoutMs,
  startedAtMs: Date.now(),
  stoppedAtMs: 0,
  total: 0,
  failed: 0,
  /** Requests that took 1 s or more, answered or failed. */
  over1s: 0,
  /** The longest time in which no request got a 200 (over all connections), and when it began (epoch ms). */
  longestGapMs: 0,
  longestGapFromMs: 0,
  byStatus: {},
  errors: {},
  /** Requests slower than SLOW_MS, answered or failed: { atMs (start, epoch), ms, outcome }. */
  slow: [],
  /** Every failed request: { atMs, ms, outcome }. */
  failures: [],
};
let stopped = false;
let sent = 0;
let lastAnswer = { at: performance.now(), epochMs: Date.now() };
process.once('SIGTERM', () => (stopped = true));

function record(atMs, ms, outcome, ok) {
  if (count === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[count++] = ms;
  report.total++;
  if (ok) {
    const now = performance.now();
    if (now - lastAnswer.at > report.longestGapMs) {
      report.longestGapMs = round(now - lastAnswer.at);
      report.longestGapFromMs = lastAnswer.epochMs;
    }
    lastAnswer = { at: now, epochMs: Date.now() };
  } else {
    report.failed++;
    if (report.failures.length < LISTED) report.failures.push({ atMs, ms: round(ms), outcome });
  }
  if (ms >= 1_000) report.over1s++;
  if (ms >= SLOW_MS && report.slow.length < LISTED) report.slow.push({ atMs, ms: round(ms), outcome });
}

async function worker() {
  while (!stopped && sent < maxRequests && Date.now() < deadline) {
    sent++;
    const atMs = Date.now();
    const started = performance.now();
    try {
      const res = await pool.request({ path: '/', method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
      await res.body.dump();
      report.byStatus[res.statusCode] = (report.byStatus[res.statusCode] ?? 0) + 1;
      record(atMs, performance.now() - started, `status ${res.statusCode}`, res.statusCode === 200);
    } catch (err) {
      const ms = performance.now() - started;
      const outcome =
        err?.name === 'TimeoutError' || err?.name === 'AbortError'
          ? `no answer within ${timeoutMs} ms`
          : `${err?.code ?? err?.name ?? 'error'}: ${err?.message ?? String(err)}`;
      report.errors[outcome] = (report.errors[outcome] ?? 0) + 1;
      record(atMs, ms, outcome, false);
    }
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function round(ms) {
  return Math.round(ms * 10) / 10;
}

console.log(JSON.stringify({ ready: true }));
await Promise.all(Array.from({ length: concurrency }, worker));
report.stoppedAtMs = Date.now();
await pool.close().catch(() => undefined);
const sorted = latencies.slice(0, count).sort();
report.latencyMs = {
  p50: round(percentile(sorted, 50)),
  p90: round(percentile(sorted, 90)),
  p99: round(percentile(sorted, 99)),
  p999: round(percentile(sorted, 99.9)),
  max: round(sorted[count - 1] ?? NaN),
};
console.log(JSON.stringify(report));
process.exit(0);
