// An open-loop load client in its own process: sends GET / to the URL at a fixed rate (requests per second),
// whether or not earlier requests have answered — as real users do. No cookies: every request is a new user,
// so a canary split applies per request. Bounded by maxMs and maxCount; each request has a timeout.
//
// Usage: node rate-client.mjs <url> <ratePerSecond> [maxMs=180000] [maxCount=1000000] [timeoutMs=5000] [connections]
//
// Prints {"ready":true} once it runs, then (on SIGTERM, or when maxMs / maxCount is reached) ONE JSON line:
// total, failed (non-2xx or error), by status, by release (x-release header), first/last bad response times
// (epoch ms, Date.now() when the response arrived), first/last time each release was seen, a per-second
// timeline, the achieved rate and how far the scheduler fell behind. Release "none": no x-release header (an
// error, or a response the app sends without it, such as its injected 500s).
import { Pool } from 'undici';

const args = process.argv.slice(2);
const [url, rateArg, maxMsArg = '180000', maxCountArg = '1000000', timeoutArg = '5000', connectionsArg] =
  args;
if (!url || !rateArg) {
  console.error('usage: rate-client.mjs <url> <ratePerSecond> [maxMs] [maxCount] [timeoutMs] [connections]');
  process.exit(2);
}
const rate = Number(rateArg);
const maxMs = Number(maxMsArg);
const maxCount = Number(maxCountArg);
const timeoutMs = Number(timeoutArg);
// Enough connections that a slow version (150 ms at a few hundred req/s) never makes requests queue in the client.
const connections = Number(connectionsArg ?? Math.min(256, Math.max(16, Math.ceil(rate / 4))));
// In-flight requests beyond this are not sent (counted as failed, "client overloaded"): keeps memory bounded.
const MAX_IN_FLIGHT = Math.max(1000, Math.ceil((rate * timeoutMs) / 1000) * 2);
// How long a SIGTERM waits for requests still in flight before the report.
const FINISH_GRACE_MS = Math.min(timeoutMs, 2000);

const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 4000, connectTimeout: timeoutMs });
const intervalMs = 1000 / rate;

const startedAtMs = Date.now();
const startedPerf = performance.now();
const report = {
  url,
  ratePerSecond: rate,
  connections,
  startedAtMs,
  endedAtMs: 0,
  durationMs: 0,
  sent: 0,
  total: 0,
  failed: 0,
  unfinished: 0,
  achievedSendRate: 0,
  achievedResponseRate: 0,
  maxSchedulerLagMs: 0,
  byStatus: {},
  byRelease: {},
  firstBadAtMs: null,
  lastBadAtMs: null,
  /** release → { count, firstAtMs, lastAtMs } */
  releases: {},
  /** One entry per second since start (by response time): { s, total, bad, byRelease }. */
  timeline: [],
  errors: [],
};

let inFlight = 0;
let stopping = false;
let timer = null;

function second(atMs) {
  const s = Math.max(0, Math.floor((atMs - startedAtMs) / 1000));
  while (report.timeline.length <= s)
    report.timeline.push({ s: report.timeline.length, total: 0, bad: 0, byRelease: {} });
  return report.timeline[s];
}

function record(status, release, error, latencyMs) {
  const atMs = Date.now();
  const bucket = second(atMs);
  report.total++;
  bucket.total++;
  const key = status === null ? 'error' : String(status);
  report.byStatus[key] = (report.byStatus[key] ?? 0) + 1;
  report.byRelease[release] = (report.byRelease[release] ?? 0) + 1;
  bucket.byRelease[release] = (bucket.byRelease[release] ?? 0) + 1;
  const seen = (report.releases[release] ??= {
    count: 0,
    firstAtMs: atMs,
    lastAtMs: atMs,
    meanLatencyMs: 0,
    maxLatencyMs: 0,
  });
  seen.count++;
  seen.lastAtMs = atMs;
  seen.meanLatencyMs += (latencyMs - seen.meanLatencyMs) / seen.count;
  seen.maxLatencyMs = Math.max(seen.maxLatencyMs, latencyMs);
  const bad = status === null || status < 200 || status > 299;
  if (bad) {
    report.failed++;
    bucket.bad++;
    report.firstBadAtMs ??= atMs;
    report.lastBadAtMs = atMs;
  }
  if (error && report.errors.length < 20) report.errors.push(error);
}

async function send() {
  report.sent++;
  if (inFlight >= MAX_IN_FLIGHT) {
    record(null, 'none', 'client overloaded: too many requests in flight', 0);
    return;
  }
  inFlight++;
  const sentAt = performance.now();
  try {
    const res = await pool.request({
      path: '/',
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await res.body.dump();
    const header = res.headers['x-release'];
    record(
      res.statusCode,
      String(Array.isArray(header) ? header[0] : (header ?? 'none')),
      null,
      performance.now() - sentAt,
    );
  } catch (err) {
    record(null, 'none', String(err?.code ?? err), performance.now() - sentAt);
  } finally {
    inFlight--;
  }
}

// Scheduling by absolute time: request i is due at start + i / rate. Each tick sends every request that is due
// (several at once when a timer fired late), so the rate holds on average even when timers drift.
function tick() {
  timer = null;
  if (stopping) return;
  const elapsed = performance.now() - startedPerf;
  if (elapsed >= maxMs || report.sent >= maxCount) {
    void finish();
    return;
  }
  const due = Math.min(maxCount, Math.floor(elapsed / intervalMs) + 1);
  if (due > report.sent)
    report.maxSchedulerLagMs = Math.max(report.maxSchedulerLagMs, elapsed - report.sent * intervalMs);
  while (report.sent < due) void send();
  const nextDue = report.sent * intervalMs;
  timer = setTimeout(tick, Math.max(0, nextDue - (performance.now() - startedPerf)));
}

let finished = false;
async function finish() {
  if (finished) return;
  finished = true;
  stopping = true;
  if (timer) clearTimeout(timer);
  const endedPerf = performance.now();
  report.endedAtMs = Date.now();
  const graceEnd = Date.now() + FINISH_GRACE_MS;
  while (inFlight > 0 && Date.now() < graceEnd) await new Promise((r) => setTimeout(r, 10));
  report.unfinished = inFlight;
  report.durationMs = Math.round(endedPerf - startedPerf);
  const seconds = report.durationMs / 1000;
  report.achievedSendRate = seconds > 0 ? Math.round((report.sent / seconds) * 10) / 10 : 0;
  report.achievedResponseRate = seconds > 0 ? Math.round((report.total / seconds) * 10) / 10 : 0;
  report.maxSchedulerLagMs = Math.round(report.maxSchedulerLagMs * 10) / 10;
  for (const r of Object.values(report.releases)) {
    r.meanLatencyMs = Math.round(r.meanLatencyMs * 10) / 10;
    r.maxLatencyMs = Math.round(r.maxLatencyMs * 10) / 10;
  }
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
  void pool.destroy().catch(() => undefined);
}

process.once('SIGTERM', () => void finish());
process.once('SIGINT', () => void finish());
console.log(JSON.stringify({ ready: true }));
tick();
