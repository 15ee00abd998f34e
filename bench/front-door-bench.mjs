// Front door benchmark: what routing by host name costs. One front door (src/router/front-door.ts) with 100 routes
// (100 names, each its own router) against the same front door with a single route, and, for reference, a router
// listening on its own port as every app does today, all behind the same backend, in one run: interleaved rounds,
// order reversed every round, wrk (1 thread) sending the route's Host. Goal (issue 16): 100 routes cost no more
// than 5% against one, in req/s and in CPU per request. Called by bench/run.mjs.
//
// The server is bundled from src/ with esbuild into a temp dir (it is not part of the build), so this file alone
// is the benchmark.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { cpuUsPerRequest, readCpuTime } from './lib/cpu-time.mjs';
import { sleep } from './lib/processes.mjs';
import { parseWrk, requireWrk } from './lib/wrk.mjs';

export const name = 'front-door';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BACKEND_SCRIPT = fileURLToPath(new URL('./backend-server.mjs', import.meta.url));
const ROUTE_COUNT = 100;
/** The route the load asks for: one in the middle (the index is a Map, so any would do). */
const HIT = 57;

export function settingsFromEnv(env = process.env) {
  const num = (key, fallback) => (env[key] ? Number(env[key]) : fallback);
  return {
    durationS: num('BENCH_DURATION_S', 5),
    warmupS: num('BENCH_WARMUP_S', 1),
    connections: num('BENCH_CONNECTIONS', 50),
    rounds: num('BENCH_ROUNDS', 4),
  };
}

// The server: `node server.mjs <mode> <backendPort>`; mode `door:<routes>` or `router`. Prints the ready line.
const SERVER_SOURCE = `
import { FrontDoor } from './src/router/front-door.ts';
import { HostRoutes, requestHostName } from './src/router/host-routes.ts';
import { Router } from './src/router/router.ts';

const [mode, backendPort] = process.argv.slice(2);
if (mode === 'lookup') {
  // The lookup alone, as the fast path does it per request (Host normalised, then matched), in ns.
  const tables = {};
  for (const count of [1, ${ROUTE_COUNT}]) {
    const routes = new HostRoutes();
    const first = count === 1 ? ${HIT} : 0;
    for (let i = first; i < first + count; i++) {
      routes.set({ id: 'app' + i, names: ['app' + i + '.bench.test', 'www.app' + i + '.bench.test'] }, i);
    }
    tables[count] = routes;
  }
  const hosts = ['App${HIT}.bench.test:8080', 'app${HIT}.bench.test', 'www.app${HIT}.bench.test.'];
  const ns = { 1: [], ${ROUTE_COUNT}: [] };
  let sink = 0;
  for (let round = 0; round < 6; round++) {
    for (const count of round % 2 === 0 ? [1, ${ROUTE_COUNT}] : [${ROUTE_COUNT}, 1]) {
      const routes = tables[count];
      const n = 2_000_000;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) sink += routes.match(requestHostName(hosts[i % 3]), '/cart?id=7').value;
      ns[count].push(Number(process.hrtime.bigint() - t0) / n);
    }
  }
  process.stdout.write(JSON.stringify({ ready: true, port: 0, ns, sink }) + '\\n');
  process.exit(0);
}
const port = Number(backendPort);
let listener;
const routers = [];
if (mode === 'router') {
  const router = await Router.listen({ port: 0, host: '127.0.0.1' });
  router.addTarget({ id: 'app', release: 'bench', port });
  router.setActive('app');
  routers.push(router);
  listener = router;
} else {
  const count = Number(mode.split(':')[1]);
  const door = await FrontDoor.listen({ port: 0, host: '127.0.0.1' });
  // With one route it is the route the load asks for; with many, that one among the others.
  const first = count === 1 ? ${HIT} : 0;
  for (let i = first; i < first + count; i++) {
    const router = Router.detached();
    router.addTarget({ id: 'app' + i, release: 'bench', port });
    router.setActive('app' + i);
    door.attach({ id: 'app' + i, names: ['app' + i + '.bench.test', 'www.app' + i + '.bench.test'] }, router);
    routers.push(router);
  }
  listener = door;
}
process.stdout.write(JSON.stringify({ ready: true, port: listener.port, pid: process.pid }) + '\\n');
process.on('SIGTERM', async () => {
  await listener.close();
  if (listener instanceof FrontDoor) await Promise.all(routers.map((r) => r.close()));
  process.exit(0);
});
`;

async function bundleServer() {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-front-door-bench-'));
  const outfile = join(dir, 'front-door-server.mjs');
  await build({
    stdin: { contents: SERVER_SOURCE, resolveDir: ROOT, loader: 'ts', sourcefile: 'front-door-server.ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  // Bare imports (undici) resolve from the repository's node_modules.
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  return { dir, outfile };
}

/** wrk against `port` with a Host header (bench/lib/wrk.mjs's runWrk sends none). */
async function wrk(group, { port, host, durationS, connections }) {
  const proc = group.start('wrk', 'wrk', [
    '-t1',
    `-c${connections}`,
    `-d${durationS}s`,
    '--latency',
    '-H',
    `Host: ${host}`,
    `http://127.0.0.1:${port}/`,
  ]);
  let out = '';
  proc.child.stdout.on('data', (chunk) => {
    out += chunk.toString();
  });
  const code = await proc.exited;
  await sleep(10);
  const report = parseWrk(out);
  if (report === null) throw new Error(`wrk failed (exit ${code}): ${proc.stderrTail() || out}`);
  return report;
}

/** @param {{ group: import('./lib/processes.mjs').ProcessGroup, log: (line: string) => void }} ctx */
export async function run({ group, log, settings = settingsFromEnv() }) {
  const tools = { wrk: requireWrk() };
  const bundle = await bundleServer();
  try {
    const backend = await group.startServer('backend', process.execPath, [BACKEND_SCRIPT, 'app']);
    // Node resolves the bundle's bare imports from its own directory up: run it with the repository's
    // node_modules on NODE_PATH (ESM ignores NODE_PATH), so link it instead.
    execFileSync('ln', ['-s', join(ROOT, 'node_modules'), join(bundle.dir, 'node_modules')]);
    const lookup = await measureLookup(group, bundle.outfile);
    log(
      `  lookup: ${lookup.nsRoutes1} ns with 1 route, ${lookup.nsRoutes100} ns with ${ROUTE_COUNT} ` +
        `(median of ${lookup.perRound1.length} rounds of 2M)`,
    );
    const cases = {
      'routes-100': { mode: `door:${ROUTE_COUNT}`, host: `app${HIT}.bench.test` },
      'routes-1': { mode: 'door:1', host: `app${HIT}.bench.test` },
      'own-port': { mode: 'router', host: '127.0.0.1' },
    };
    for (const [key, c] of Object.entries(cases)) {
      const proc = await group.startServer(`front-door ${key}`, process.execPath, [
        bundle.outfile,
        c.mode,
        String(backend.port),
      ]);
      c.port = proc.port;
      c.pid = proc.pid;
    }
    const order = Object.keys(cases);
    const runs = Object.fromEntries(order.map((k) => [k, []]));
    for (let round = 0; round < settings.rounds; round++) {
      for (const key of round % 2 === 0 ? order : [...order].reverse()) {
        const c = cases[key];
        const load = { port: c.port, host: c.host, connections: settings.connections };
        if (settings.warmupS > 0) await wrk(group, { ...load, durationS: settings.warmupS });
        const before = readCpuTime(c.pid);
        const report = await wrk(group, { ...load, durationS: settings.durationS });
        report.cpuUsPerRequest = cpuUsPerRequest(before, readCpuTime(c.pid), report.requests);
        log(
          `  ${key.padEnd(10)} round ${round + 1}: ${Math.round(report.requestsPerSec)} req/s, ` +
            `p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, ` +
            `errors ${report.non2xx + report.socketErrors}, CPU ${report.cpuUsPerRequest?.total ?? '?'} µs/request`,
        );
        runs[key].push(report);
      }
    }
    const summary = Object.fromEntries(order.map((k) => [k, summarise(runs[k])]));
    const ratio = (a, b) => (a && b ? Math.round((a / b) * 1000) / 1000 : null);
    const ratios = {
      // The goal: ≥ 0.95 in throughput, ≤ 1.05 in CPU per request.
      routes100VsRoutes1Rps: ratio(summary['routes-100'].requestsPerSec, summary['routes-1'].requestsPerSec),
      routes100VsRoutes1Cpu: ratio(
        summary['routes-100'].cpuUsPerRequest,
        summary['routes-1'].cpuUsPerRequest,
      ),
      routes1VsOwnPortRps: ratio(summary['routes-1'].requestsPerSec, summary['own-port'].requestsPerSec),
      routes1VsOwnPortCpu: ratio(summary['routes-1'].cpuUsPerRequest, summary['own-port'].cpuUsPerRequest),
      // Per round (same round, adjacent runs): less exposed to drift in machine load than the means.
      routes100VsRoutes1CpuPerRound: runs['routes-100'].map((r, i) =>
        ratio(r.cpuUsPerRequest?.total, runs['routes-1'][i].cpuUsPerRequest?.total),
      ),
      routes100VsRoutes1RpsPerRound: runs['routes-100'].map((r, i) =>
        ratio(r.requestsPerSec, runs['routes-1'][i].requestsPerSec),
      ),
    };
    const json = { tools, settings, routeCount: ROUTE_COUNT, lookup, summary, ratios };
    return { json, markdown: renderMarkdown(json) };
  } finally {
    await group.stopAll();
    rmSync(bundle.dir, { recursive: true, force: true });
  }
}

/** The route lookup alone, in its own process (the bundle's `lookup` mode): ns per request, 1 and 100 routes. */
async function measureLookup(group, outfile) {
  const proc = group.start('front-door lookup', process.execPath, [outfile, 'lookup']);
  let line = null;
  for await (const l of proc.lines) {
    if (l.includes('"ns"')) {
      line = JSON.parse(l);
      break;
    }
  }
  await proc.exited;
  if (line === null) throw new Error(`the lookup benchmark failed: ${proc.stderrTail()}`);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const r1 = line.ns['1'].map((x) => Math.round(x * 10) / 10);
  const r100 = line.ns[String(ROUTE_COUNT)].map((x) => Math.round(x * 10) / 10);
  return { nsRoutes1: median(r1), nsRoutes100: median(r100), perRound1: r1, perRound100: r100 };
}

function summarise(reports) {
  const mean = (f) => reports.reduce((s, r) => s + f(r), 0) / reports.length;
  return {
    requestsPerSec: Math.round(mean((r) => r.requestsPerSec)),
    perRoundRequestsPerSec: reports.map((r) => Math.round(r.requestsPerSec)),
    p50Ms: Math.round(mean((r) => r.latencyMs.p50 ?? 0) * 100) / 100,
    p99Ms: Math.round(mean((r) => r.latencyMs.p99 ?? 0) * 100) / 100,
    errors: reports.reduce((s, r) => s + r.non2xx + r.socketErrors, 0),
    cpuUsPerRequest: reports.every((r) => r.cpuUsPerRequest)
      ? Math.round(mean((r) => r.cpuUsPerRequest.total) * 10) / 10
      : null,
    perRoundCpuUsPerRequest: reports.map((r) => r.cpuUsPerRequest?.total ?? null),
  };
}

function renderMarkdown({ tools, settings, lookup, summary, ratios }) {
  const row = (label, x) =>
    `| ${label} | ${x.requestsPerSec} | ${x.perRoundRequestsPerSec.join(' / ')} | ${x.p50Ms} | ${x.p99Ms} | ` +
    `${x.errors} | ${x.cpuUsPerRequest ?? '–'} | ${x.perRoundCpuUsPerRequest.join(' / ')} |`;
  return [
    `## front-door`,
    ``,
    `wrk: 1 thread, ${settings.connections} connections, Host header of route ${HIT}, ${settings.durationS} s per run ` +
      `after a ${settings.warmupS} s warm-up, ${settings.rounds} rounds in alternating order; fast path; backend: ` +
      `Node http server, ~100-byte body. ${tools.wrk}.`,
    ``,
    `| case | req/s (mean) | req/s per round | p50 ms | p99 ms | errors | CPU µs/request | CPU per round |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- |`,
    row(`front door, ${ROUTE_COUNT} routes`, summary['routes-100']),
    row('front door, 1 route', summary['routes-1']),
    row('router on its own port', summary['own-port']),
    ``,
    `- ${ROUTE_COUNT} routes / 1 route: req/s ${ratios.routes100VsRoutes1Rps} ` +
      `(per round ${ratios.routes100VsRoutes1RpsPerRound.join(', ')}), CPU per request ${ratios.routes100VsRoutes1Cpu} ` +
      `(per round ${ratios.routes100VsRoutes1CpuPerRound.join(', ')}); goal ≥ 0.95 and ≤ 1.05.`,
    `- front door (1 route) / own port: req/s ${ratios.routes1VsOwnPortRps}, CPU per request ${ratios.routes1VsOwnPortCpu}.`,
    `- the lookup alone (Host normalised, then matched; 2M lookups a round): ${lookup.nsRoutes1} ns with 1 route, ` +
      `${lookup.nsRoutes100} ns with ${ROUTE_COUNT} (median; rounds ${lookup.perRound1.join(' / ')} and ` +
      `${lookup.perRound100.join(' / ')}).`,
    ``,
  ].join('\n');
}
