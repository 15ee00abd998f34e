// Router benchmark: throughput and latency direct / through the Slipway router (fast path, and the classic path
// alone with SLIPWAY_ROUTER_FAST_PATH=0) / through HAProxy, all in one run on the same machine, then blue/green
// switches under load. Called by bench/run.mjs.
//
// Before/after in one run (bench/lib/build-revision.mjs): BENCH_BEFORE=<git revision> also clones that revision
// into a temp directory and builds it; its router (its dist/bench/router-server.js, fast path and classic path)
// then takes the same load as this build's, in the same rounds (the two side by side, their order reversed every
// round), behind the same backend, and the switches run on each build's router in turn (BENCH_SWITCH_ROUNDS
// rounds, 2 by default then). The report gives after / before per round. BENCH_AFTER=<git revision> measures that
// revision's build (cloned and built the same way) instead of this working tree's dist/.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildsToCompare, revisionsFromEnv } from './lib/build-revision.mjs';
import { cpuUsPerRequest, readCpuTime } from './lib/cpu-time.mjs';
import { fileURLToPath } from 'node:url';
import { requireHaproxy, startHaproxy } from './lib/haproxy.mjs';
import { freePort, sleep } from './lib/processes.mjs';
import { controlRouter } from './lib/router-control.mjs';
import { requireWrk, runWrk } from './lib/wrk.mjs';

export const name = 'router';

const BACKEND_SCRIPT = fileURLToPath(new URL('./backend-server.mjs', import.meta.url));

export function settingsFromEnv(env = process.env) {
  const num = (key, fallback) => (env[key] ? Number(env[key]) : fallback);
  const revisions = revisionsFromEnv(env);
  return {
    ...revisions,
    durationS: num('BENCH_DURATION_S', 10),
    warmupS: num('BENCH_WARMUP_S', 2),
    connections: num('BENCH_CONNECTIONS', 50),
    rounds: num('BENCH_ROUNDS', 2),
    switches: num('BENCH_SWITCHES', 20),
    switchPauseMs: num('BENCH_SWITCH_PAUSE_MS', 250),
    switchRounds: num('BENCH_SWITCH_ROUNDS', revisions.before ? 2 : 1),
    drainTimeoutMs: 5_000,
  };
}

/** @param {{ group: import('./lib/processes.mjs').ProcessGroup, log: (line: string) => void }} ctx */
export async function run({ group, log, settings = settingsFromEnv() }) {
  const tools = { wrk: requireWrk(), haproxy: requireHaproxy() };
  // Before first, then after (or now, this working tree).
  const builds = buildsToCompare(settings, log).map((b) => ({
    label: b.label,
    commit: b.commit,
    script: join(b.root, 'dist', 'bench', 'router-server.js'),
  }));
  for (const b of builds) {
    if (!existsSync(b.script)) {
      throw new Error(`${b.script} is missing: run \`npm run build\` first (\`npm run bench\` does).`);
    }
  }
  const cleanups = [];
  try {
    const throughput = await measureThroughput(group, log, settings, builds, cleanups);
    const switching = await measureSwitches(group, log, settings, builds);
    const json = {
      tools,
      settings,
      builds: builds.map((b) => ({ label: b.label, commit: b.commit })),
      throughput,
      switching,
    };
    return { json, markdown: renderMarkdown(json) };
  } finally {
    await group.stopAll();
    for (const cleanup of cleanups) cleanup();
  }
}

/**
 * The key of a router case in `runs` and `summary`: `router` and `classic` with one build (as always), and
 * `router:before`, `router:after` (or `router:now`), … when builds are compared.
 */
const caseKey = (kind, build, builds) => (builds.length > 1 ? `${kind}:${build.label}` : kind);

async function measureThroughput(group, log, settings, builds, cleanups) {
  const backend = await group.startServer('backend', process.execPath, [BACKEND_SCRIPT, 'app']);
  const ports = { direct: backend.port };
  // Whose CPU time is charged to a case: the proxy's own; for direct, the backend's (for scale).
  const pids = { direct: backend.pid };
  const controls = {};
  for (const kind of ['router', 'classic']) {
    for (const build of builds) {
      const key = caseKey(kind, build, builds);
      // The classic path: the same router with its fast path off, so that what the fast path gains is measured
      // in the same run.
      const env = kind === 'classic' ? { ...process.env, SLIPWAY_ROUTER_FAST_PATH: '0' } : process.env;
      const proc = await group.startServer(key, process.execPath, [build.script], { env });
      const control = controlRouter(proc);
      await control.call('add', { target: { id: 'app', release: 'bench', port: backend.port } });
      await control.call('activate', { target: 'app' });
      ports[key] = proc.port;
      pids[key] = proc.pid;
      controls[key] = control;
    }
  }
  const haproxy = await startHaproxy(group, { port: await freePort(), backendPort: backend.port });
  cleanups.push(haproxy.cleanup);
  ports.haproxy = haproxy.port;
  pids.haproxy = haproxy.pid;

  // Builds side by side: router:before, router:after, classic:before, classic:after.
  const order = Object.keys(ports).filter((k) => k !== 'haproxy');
  order.push('haproxy');
  const runs = Object.fromEntries(order.map((k) => [k, []]));
  const width = Math.max(...order.map((k) => k.length));
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
        `  ${kase.padEnd(width)} round ${round + 1}: ${Math.round(report.requestsPerSec)} req/s, ` +
          `p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, errors ${report.non2xx + report.socketErrors}, ` +
          `CPU ${report.cpuUsPerRequest?.total ?? '?'} µs/request`,
      );
      runs[kase].push(report);
    }
  }
  let routerProxyErrors = 0;
  for (const control of Object.values(controls)) {
    const metrics = await control.call('metrics');
    routerProxyErrors += metrics.reduce((sum, m) => sum + m.proxyErrors, 0);
  }
  const summary = Object.fromEntries(
    Object.entries(runs).map(([kase, reports]) => [kase, summarize(reports)]),
  );
  // The ratios against HAProxy and direct are those of the last build (after, or now).
  const last = builds[builds.length - 1];
  const router = summary[caseKey('router', last, builds)];
  const classic = summary[caseKey('classic', last, builds)];
  return {
    summary,
    ratios: {
      routerVsDirect: round3(router.requestsPerSec / summary.direct.requestsPerSec),
      routerVsHaproxy: round3(router.requestsPerSec / summary.haproxy.requestsPerSec),
      classicVsHaproxy: round3(classic.requestsPerSec / summary.haproxy.requestsPerSec),
      routerVsClassic: round3(router.requestsPerSec / classic.requestsPerSec),
      haproxyVsDirect: round3(summary.haproxy.requestsPerSec / summary.direct.requestsPerSec),
      routerP99VsHaproxyP99: round3(router.p99Ms / summary.haproxy.p99Ms),
      routerCpuVsHaproxyCpu:
        router.cpuUsPerRequest && summary.haproxy.cpuUsPerRequest
          ? round3(router.cpuUsPerRequest / summary.haproxy.cpuUsPerRequest)
          : null,
      classicCpuVsHaproxyCpu:
        classic.cpuUsPerRequest && summary.haproxy.cpuUsPerRequest
          ? round3(classic.cpuUsPerRequest / summary.haproxy.cpuUsPerRequest)
          : null,
    },
    beforeAfter: builds.length > 1 ? compareBuilds(runs, builds) : null,
    routerProxyErrors,
    runs,
  };
}

/**
 * After / before for each router kind: the ratio of the means, and per round (the two ran back to back in every
 * round, so a round's ratio is the least disturbed by drift in the machine's load), with their spread.
 */
function compareBuilds(runs, builds) {
  const [first, last] = [builds[0], builds[builds.length - 1]];
  const out = {};
  for (const kind of ['router', 'classic']) {
    const before = runs[caseKey(kind, first, builds)];
    const after = runs[caseKey(kind, last, builds)];
    const perRound = (pick) =>
      before.map((b, i) => (pick(b) && pick(after[i]) ? round3(pick(after[i]) / pick(b)) : null));
    const spread = (xs) => {
      const ok = xs.filter((x) => x !== null);
      return ok.length ? { min: Math.min(...ok), max: Math.max(...ok), median: round3(medianOf(ok)) } : null;
    };
    const rps = perRound((r) => r.requestsPerSec);
    const cpu = perRound((r) => r.cpuUsPerRequest?.total);
    const p99 = perRound((r) => r.latencyMs.p99);
    const sb = summarize(before);
    const sa = summarize(after);
    out[kind] = {
      before: first.commit,
      after: last.commit,
      requestsPerSec: {
        ratioOfMeans: round3(sa.requestsPerSec / sb.requestsPerSec),
        perRound: rps,
        ...spread(rps),
      },
      cpuUsPerRequest: {
        ratioOfMeans:
          sa.cpuUsPerRequest && sb.cpuUsPerRequest ? round3(sa.cpuUsPerRequest / sb.cpuUsPerRequest) : null,
        perRound: cpu,
        ...spread(cpu),
      },
      p99Ms: { ratioOfMeans: round3(sa.p99Ms / sb.p99Ms), perRound: p99, ...spread(p99) },
    };
  }
  return out;
}

/**
 * Blue/green: two backends; `switches` times add the other one, setActive, drain the old, under wrk load, on a
 * fresh router of each build in turn (`switchRounds` rounds, the order of the builds reversed every round).
 * With one build the result is that build's; with more, `byBuild` holds each build's, its rounds merged.
 */
async function measureSwitches(group, log, settings, builds) {
  const blue = await group.startServer('blue', process.execPath, [BACKEND_SCRIPT, 'blue']);
  const green = await group.startServer('green', process.execPath, [BACKEND_SCRIPT, 'green']);
  const rounds = Object.fromEntries(builds.map((b) => [b.label, []]));
  for (let round = 0; round < settings.switchRounds; round++) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
      const result = await switchUnderLoad(group, settings, build, blue, green);
      const r = mergeSwitchRuns([result]);
      const label = builds.length > 1 ? ` ${build.label} (${build.commit}) round ${round + 1}:` : '';
      log(
        `  switches:${label} ${r.switches}, requests ${r.requests}, failed ${r.failed}, ` +
          `switch command median ${r.switchCommandMs.median} ms, slowest drain ${r.maxDrainMs} ms`,
      );
      rounds[build.label].push(result);
    }
  }
  const merged = Object.fromEntries(builds.map((b) => [b.label, mergeSwitchRuns(rounds[b.label])]));
  if (builds.length === 1) return merged[builds[0].label];
  return {
    rounds: settings.switchRounds,
    byBuild: Object.fromEntries(builds.map((b) => [b.label, { commit: b.commit, ...merged[b.label] }])),
  };
}

async function switchUnderLoad(group, settings, build, blue, green) {
  const router = await group.startServer(`router-switch:${build.label}`, process.execPath, [build.script]);
  try {
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
    return { report, drains, activateMs };
  } finally {
    await group.stop(router.pid);
  }
}

function mergeSwitchRuns(runs) {
  const drains = runs.flatMap((r) => r.drains);
  const activateMs = runs.flatMap((r) => r.activateMs);
  const reports = runs.map((r) => r.report);
  const requests = reports.reduce((sum, r) => sum + r.requests, 0);
  const non2xx = reports.reduce((sum, r) => sum + r.non2xx, 0);
  const socketErrors = reports.reduce((sum, r) => sum + r.socketErrors, 0);
  return {
    switches: drains.length,
    requests,
    failed: non2xx + socketErrors,
    non2xx,
    socketErrors:
      reports.length === 1 ? reports[0].socketErrorDetail : reports.map((r) => r.socketErrorDetail),
    requestsPerSec: requests / reports.reduce((sum, r) => sum + r.durationS, 0),
    latencyMs:
      reports.length === 1 ? reports[0].latencyMs : { p99: Math.max(...reports.map((r) => r.latencyMs.p99)) },
    allDrained: drains.every((d) => d.drained),
    abandoned: drains.reduce((sum, d) => sum + d.abandoned, 0),
    maxDrainMs: Math.max(...drains.map((d) => d.drainMs)),
    switchCommandMs: {
      median: Math.round(medianOf(activateMs) * 100) / 100,
      max: Math.round(Math.max(...activateMs) * 100) / 100,
    },
    perRound: runs.map((r) => ({
      requests: r.report.requests,
      failed: r.report.non2xx + r.report.socketErrors,
      switchCommandMedianMs: Math.round(medianOf(r.activateMs) * 100) / 100,
      maxDrainMs: Math.max(...r.drains.map((d) => d.drainMs)),
    })),
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

function renderMarkdown({ tools, settings, builds, throughput, switching }) {
  const s = throughput.summary;
  const compared = builds.length > 1;
  const last = builds[builds.length - 1];
  const row = (label, x) =>
    `| ${label} | ${x.requestsPerSec} | ${x.perRoundRequestsPerSec.join(' / ')} | ${x.p50Ms} | ${x.p99Ms} | ${x.errors} | ${x.cpuUsPerRequest ?? '–'} |`;
  const routerRows = [];
  for (const [kind, label] of [
    ['router', 'Slipway router'],
    ['classic', 'Slipway router (classic path)'],
  ]) {
    for (const b of builds) {
      routerRows.push(
        row(compared ? `${label}, ${b.label} (${b.commit})` : label, s[caseKey(kind, b, builds)]),
      );
    }
  }
  const ofLast = compared ? ` (${last.label})` : '';
  const lines = [
    `## Router`,
    ``,
    `wrk: 1 thread, ${settings.connections} connections, ${settings.durationS} s per run after a ${settings.warmupS} s warm-up, ` +
      `${settings.rounds} round(s) in alternating order; backend: Node http server, ~100-byte body. ${tools.wrk}; ${tools.haproxy}.` +
      (compared ? ` Builds: ${builds.map((b) => `${b.label} = ${b.commit}`).join(', ')}.` : ''),
    ``,
    `| case | req/s (mean) | req/s per round | p50 ms | p99 ms | errors | CPU µs/request ¹ |`,
    `| --- | ---: | --- | ---: | ---: | ---: | ---: |`,
    row('direct to backend', s.direct),
    ...routerRows,
    row('HAProxy (nbthread 1)', s.haproxy),
    ``,
  ];
  if (compared) {
    const ba = throughput.beforeAfter;
    const cell = (m) =>
      `${m.ratioOfMeans ?? '–'} | ${m.median ?? '–'} (${m.min ?? '–'}–${m.max ?? '–'}) | ${m.perRound.map((x) => x ?? '–').join(' / ')}`;
    lines.push(
      `${last.label} / before (${last.commit} / ${builds[0].commit}), same rounds:`,
      ``,
      `| router | measure | ratio of means | per round: median (min–max) | per round |`,
      `| --- | --- | ---: | --- | --- |`,
      ...['router', 'classic'].flatMap((kind) => [
        `| ${kind === 'router' ? 'fast path' : 'classic path'} | req/s | ${cell(ba[kind].requestsPerSec)} |`,
        `| ${kind === 'router' ? 'fast path' : 'classic path'} | CPU µs/request | ${cell(ba[kind].cpuUsPerRequest)} |`,
        `| ${kind === 'router' ? 'fast path' : 'classic path'} | p99 | ${cell(ba[kind].p99Ms)} |`,
      ]),
      ``,
    );
  }
  lines.push(
    `- router${ofLast} / direct: **${throughput.ratios.routerVsDirect}**`,
    `- router${ofLast} / HAProxy: **${throughput.ratios.routerVsHaproxy}** (target ≥ 0.6)`,
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
  );
  const switchRow = (label, x) =>
    `| ${label}${x.switches} | ${x.requests} | ${x.failed} | ${Math.round(x.requestsPerSec)} | ${x.latencyMs.p99} | ${x.allDrained ? 'yes' : 'no'} | ${x.abandoned} | ${x.maxDrainMs} | ${x.switchCommandMs.median} / ${x.switchCommandMs.max} |`;
  const header = `| switches | requests | failed | req/s | p99 ms | all drained | abandoned | slowest drain ms | switch command under load, median / max ms |`;
  if (compared) {
    lines.push(
      `${switching.rounds} round(s) per build, the builds in turn (order reversed every round); p99: the worst round's.`,
      ``,
      `| build ${header}`,
      `| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |`,
      ...builds.map((b) => switchRow(`${b.label} (${b.commit}) | `, switching.byBuild[b.label])),
    );
  } else {
    lines.push(
      header,
      `| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |`,
      switchRow('', switching),
    );
  }
  lines.push(``, `Target: 0 failed requests across switches.`, ``);
  return lines.join('\n');
}

function medianOf(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
