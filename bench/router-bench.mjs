// Router benchmark: throughput and latency direct / through the Slipway router (fast path, and the classic path
// alone with SLIPWAY_ROUTER_FAST_PATH=0) / through HAProxy, all in one run on the same machine, then blue/green
// switches under load. Called by bench/run.mjs.
import { existsSync } from 'node:fs';
import { cpuUsPerRequest, readCpuTime } from './lib/cpu-time.mjs';
import { fileURLToPath } from 'node:url';
import { requireHaproxy, startHaproxy } from './lib/haproxy.mjs';
import { freePort, sleep } from './lib/processes.mjs';
import { controlRouter } from './lib/router-control.mjs';
import { requireWrk, runWrk } from './lib/wrk.mjs';

export const name = 'router';

const ROUTER_SCRIPT = fileURLToPath(new URL('../dist/bench/router-server.js', import.meta.url));
const BACKEND_SCRIPT = fileURLToPath(new URL('./backend-server.mjs', import.meta.url));

export function settingsFromEnv(env = process.env) {
  const num = (key, fallback) => (env[key] ? Number(env[key]) : fallback);
  return {
    durationS: num('BENCH_DURATION_S', 10),
    warmupS: num('BENCH_WARMUP_S', 2),
    connections: num('BENCH_CONNECTIONS', 50),
    rounds: num('BENCH_ROUNDS', 2),
    switches: num('BENCH_SWITCHES', 20),
    switchPauseMs: num('BENCH_SWITCH_PAUSE_MS', 250),
    drainTimeoutMs: 5_000,
  };
}

/** @param {{ group: import('./lib/processes.mjs').ProcessGroup, log: (line: string) => void }} ctx */
export async function run({ group, log, settings = settingsFromEnv() }) {
  const tools = { wrk: requireWrk(), haproxy: requireHaproxy() };
  if (!existsSync(ROUTER_SCRIPT)) {
    throw new Error(`${ROUTER_SCRIPT} is missing: run \`npm run build\` first (\`npm run bench\` does).`);
  }
  const cleanups = [];
  try {
    const throughput = await measureThroughput(group, log, settings, cleanups);
    const switching = await measureSwitches(group, log, settings);
    const json = { tools, settings, throughput, switching };
    return { json, markdown: renderMarkdown(json) };
  } finally {
    await group.stopAll();
    for (const cleanup of cleanups) cleanup();
  }
}

async function measureThroughput(group, log, settings, cleanups) {
  const backend = await group.startServer('backend', process.execPath, [BACKEND_SCRIPT, 'app']);
  const router = await group.startServer('router', process.execPath, [ROUTER_SCRIPT]);
  const control = controlRouter(router);
  await control.call('add', { target: { id: 'app', release: 'bench', port: backend.port } });
  await control.call('activate', { target: 'app' });
  // The same router with its fast path off: what the fast path gains is measured in the same run.
  const classic = await group.startServer('router-classic', process.execPath, [ROUTER_SCRIPT], {
    env: { ...process.env, SLIPWAY_ROUTER_FAST_PATH: '0' },
  });
  const classicControl = controlRouter(classic);
  await classicControl.call('add', { target: { id: 'app', release: 'bench', port: backend.port } });
  await classicControl.call('activate', { target: 'app' });
  const haproxy = await startHaproxy(group, { port: await freePort(), backendPort: backend.port });
  cleanups.push(haproxy.cleanup);

  const ports = { direct: backend.port, router: router.port, classic: classic.port, haproxy: haproxy.port };
  // Whose CPU time is charged to a case: the proxy's own; for direct, the backend's (for scale).
  const pids = { direct: backend.pid, router: router.pid, classic: classic.pid, haproxy: haproxy.pid };
  const order = ['direct', 'router', 'classic', 'haproxy'];
  const runs = { direct: [], router: [], classic: [], haproxy: [] };
  for (let round = 0; round < settings.rounds; round++) {
    // Alternate the order so that drift in machine load does not always favour the same case.
    for (const kase of round % 2 === 0 ? order : [...order].reverse()) {
      const url = `http://127.0.0.1:${ports[kase]}/`;
      if (settings.warmupS > 0) {
        await runWrk(group, { url, durationS: settings.warmupS, connections: settings.connections });
      }
      const before = readCpuTime(pids[kase]);
      const report = await runWrk(group, {
        url,
        durationS: settings.durationS,
        connections: settings.connections,
      });
      report.cpuUsPerRequest = cpuUsPerRequest(before, readCpuTime(pids[kase]), report.requests);
      log(
        `  ${kase.padEnd(8)} round ${round + 1}: ${Math.round(report.requestsPerSec)} req/s, ` +
          `p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, errors ${report.non2xx + report.socketErrors}, ` +
          `CPU ${report.cpuUsPerRequest?.total ?? '?'} µs/request`,
      );
      runs[kase].push(report);
    }
  }
  const routerMetrics = await control.call('metrics');
  const summary = Object.fromEntries(
    Object.entries(runs).map(([kase, reports]) => [kase, summarize(reports)]),
  );
  return {
    summary,
    ratios: {
      routerVsDirect: round3(summary.router.requestsPerSec / summary.direct.requestsPerSec),
      routerVsHaproxy: round3(summary.router.requestsPerSec / summary.haproxy.requestsPerSec),
      classicVsHaproxy: round3(summary.classic.requestsPerSec / summary.haproxy.requestsPerSec),
      routerVsClassic: round3(summary.router.requestsPerSec / summary.classic.requestsPerSec),
      haproxyVsDirect: round3(summary.haproxy.requestsPerSec / summary.direct.requestsPerSec),
      routerP99VsHaproxyP99: round3(summary.router.p99Ms / summary.haproxy.p99Ms),
      routerCpuVsHaproxyCpu:
        summary.router.cpuUsPerRequest && summary.haproxy.cpuUsPerRequest
          ? round3(summary.router.cpuUsPerRequest / summary.haproxy.cpuUsPerRequest)
          : null,
      classicCpuVsHaproxyCpu:
        summary.classic.cpuUsPerRequest && summary.haproxy.cpuUsPerRequest
          ? round3(summary.classic.cpuUsPerRequest / summary.haproxy.cpuUsPerRequest)
          : null,
    },
    routerProxyErrors: routerMetrics.reduce((sum, m) => sum + m.proxyErrors, 0),
    runs,
  };
}

/** Blue/green: two backends; `switches` times add the other one, setActive, drain the old, under wrk load. */
async function measureSwitches(group, log, settings) {
  const blue = await group.startServer('blue', process.execPath, [BACKEND_SCRIPT, 'blue']);
  const green = await group.startServer('green', process.execPath, [BACKEND_SCRIPT, 'green']);
  const router = await group.startServer('router-switch', process.execPath, [ROUTER_SCRIPT]);
  const control = controlRouter(router);
  await control.call('add', { target: { id: 'blue-0', release: 'blue', port: blue.port } });
  await control.call('activate', { target: 'blue-0' });

  const drains = [];
  const activateMs = [];
  const switching = (async () => {
    await sleep(1_000); // load is running before the first switch
    for (let i = 1; i <= settings.switches; i++) {
      const color = i % 2 === 1 ? 'green' : 'blue';
      const id = `${color}-${i}`;
      await control.call('add', {
        target: { id, release: color, port: (color === 'green' ? green : blue).port },
      });
      // The control command's round trip while wrk saturates the router: how fast a switch (or a canary
      // weight change, which is the same kind of route swap) takes effect under load.
      const activateStartedMs = performance.now();
      const previous = await control.call('activate', { target: id });
      activateMs.push(performance.now() - activateStartedMs);
      const startedMs = performance.now();
      const result = await control.call('drain', { target: previous, timeoutMs: settings.drainTimeoutMs });
      drains.push({ ...result, drainMs: Math.round((performance.now() - startedMs) * 10) / 10 });
      await sleep(settings.switchPauseMs);
    }
    await sleep(1_000); // and still running after the last one
  })();
  const report = await runWrk(group, {
    url: `http://127.0.0.1:${router.port}/`,
    connections: settings.connections,
    until: switching.catch(() => undefined),
  });
  await switching;
  const failed = report.non2xx + report.socketErrors;
  log(`  switches: ${drains.length}, requests ${report.requests}, failed ${failed}`);
  return {
    switches: drains.length,
    requests: report.requests,
    failed,
    non2xx: report.non2xx,
    socketErrors: report.socketErrorDetail,
    requestsPerSec: report.requestsPerSec,
    latencyMs: report.latencyMs,
    allDrained: drains.every((d) => d.drained),
    abandoned: drains.reduce((sum, d) => sum + d.abandoned, 0),
    maxDrainMs: Math.max(...drains.map((d) => d.drainMs)),
    switchCommandMs: {
      median: Math.round(percentileOf(activateMs, 0.5) * 100) / 100,
      max: Math.round(Math.max(...activateMs) * 100) / 100,
    },
    drains,
  };
}

function summarize(reports) {
  const mean = (pick) => reports.reduce((sum, r) => sum + pick(r), 0) / reports.length;
  return {
    requestsPerSec: Math.round(mean((r) => r.requestsPerSec)),
    p50Ms: round3(mean((r) => r.latencyMs.p50)),
    p99Ms: round3(mean((r) => r.latencyMs.p99)),
    errors: reports.reduce((sum, r) => sum + r.non2xx + r.socketErrors, 0),
    cpuUsPerRequest: reports.every((r) => r.cpuUsPerRequest)
      ? Math.round(mean((r) => r.cpuUsPerRequest.total) * 10) / 10
      : null,
    perRoundRequestsPerSec: reports.map((r) => Math.round(r.requestsPerSec)),
  };
}

function round3(n) {
  return Math.round(n * 1000) / 1000;
}

function renderMarkdown({ tools, settings, throughput, switching }) {
  const s = throughput.summary;
  const row = (label, x) =>
    `| ${label} | ${x.requestsPerSec} | ${x.perRoundRequestsPerSec.join(' / ')} | ${x.p50Ms} | ${x.p99Ms} | ${x.errors} | ${x.cpuUsPerRequest ?? '–'} |`;
  return [
    `## Router`,
    ``,
    `wrk: 1 thread, ${settings.connections} connections, ${settings.durationS} s per run after a ${settings.warmupS} s warm-up, ` +
      `${settings.rounds} round(s) in alternating order; backend: Node http server, ~100-byte body. ${tools.wrk}; ${tools.haproxy}.`,
    ``,
    `| case | req/s (mean) | req/s per round | p50 ms | p99 ms | errors | CPU µs/request ¹ |`,
    `| --- | ---: | --- | ---: | ---: | ---: | ---: |`,
    row('direct to backend', s.direct),
    row('Slipway router', s.router),
    row('Slipway router (classic path)', s.classic),
    row('HAProxy (nbthread 1)', s.haproxy),
    ``,
    `- router / direct: **${throughput.ratios.routerVsDirect}**`,
    `- router / HAProxy: **${throughput.ratios.routerVsHaproxy}** (target ≥ 0.6)`,
    `- router (classic path) / HAProxy: ${throughput.ratios.classicVsHaproxy}`,
    `- router / router (classic path): ${throughput.ratios.routerVsClassic}`,
    `- HAProxy / direct: ${throughput.ratios.haproxyVsDirect}`,
    `- router p99 / HAProxy p99: ${throughput.ratios.routerP99VsHaproxyP99}`,
    `- router CPU / HAProxy CPU per request: ${throughput.ratios.routerCpuVsHaproxyCpu ?? '–'}` +
      ` (classic path: ${throughput.ratios.classicCpuVsHaproxyCpu ?? '–'})`,
    ``,
    `¹ user + system CPU time of the proxy process per request (for "direct": the backend's), from /proc.`,
    ``,
    `### Blue/green switches under load`,
    ``,
    `| switches | requests | failed | req/s | p99 ms | all drained | abandoned | slowest drain ms | switch command under load, median / max ms |`,
    `| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |`,
    `| ${switching.switches} | ${switching.requests} | ${switching.failed} | ${Math.round(switching.requestsPerSec)} | ${switching.latencyMs.p99} | ${switching.allDrained ? 'yes' : 'no'} | ${switching.abandoned} | ${switching.maxDrainMs} | ${switching.switchCommandMs.median} / ${switching.switchCommandMs.max} |`,
    ``,
    `Target: 0 failed requests across switches.`,
    ``,
  ].join('\n');
}

function percentileOf(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}
