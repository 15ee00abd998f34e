// Faults: what a cut link costs the users behind an edge. On one testbed of 3 SSH hosts serving examples/hello,
// in the same run: Slipway's edge (a local edge router in front of the hosts' routers, default edge settings) and
// HAProxy configured as an edge in front of the same hosts' routers with its usual failover options. For each, a
// bounded load runs through the edge; one host's link is cut (its veth set down: packets stop, no RST), the load
// goes on, the link is restored, the load goes on until the host is back in rotation. See docs/benchmarks.md
// ("Faults").
//
// A module of bench/run.mjs (`name`, `run(ctx)`, run by name only: `node bench/run.mjs edge-faults`), or on its
// own: `node bench/edge-faults-bench.mjs`, which writes bench/results/edge-faults.{json,md}. Needs root (the
// testbed: test/testbed/README.md), the bundles (`npm run build`) and HAProxy (installed from Debian's package
// when missing, as the router benchmark does).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, runChecked } from './lib/fleet-run.mjs';
import { loadTestbed } from './lib/fleet-testbed.mjs';
import { requireHaproxy } from './lib/haproxy.mjs';
import { HAPROXY_EDGE, inRotation, pollServerStates, startHaproxyEdge } from './lib/haproxy-edge.mjs';
import { ProcessGroup, freePort, sleep } from './lib/processes.mjs';

export const name = 'edge-faults';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const LOAD_CLIENT = join(ROOT, 'bench', 'lib', 'fault-load-client.mjs');
const TEARDOWN_SCRIPT = join(ROOT, 'bench', 'lib', 'fleet-teardown.mjs');
/** Each host's router (Slipway's `publicPort`): both edges send to it. */
const HOST_ROUTER_PORT = 8420;
const HOSTS = 3;
/** The host whose link is cut in every phase (the second). */
const VICTIM = 1;
const EDGES = {
  slipway: { label: "Slipway's edge" },
  haproxy: { label: 'HAProxy' },
};

function settings(env = process.env) {
  const num = (key, fallback) => {
    const n = Number(env[key] ?? fallback);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${key}: expected a positive number`);
    return n;
  };
  return {
    rounds: num('BENCH_FAULTS_ROUNDS', 2),
    concurrency: 6,
    clientTimeoutMs: 5_000,
    warmMs: num('BENCH_FAULTS_WARM_MS', 3_000),
    cutMs: num('BENCH_FAULTS_CUT_MS', 10_000),
    backWaitMs: num('BENCH_FAULTS_BACK_MS', 15_000),
    /** Bounds of one load run (it is stopped long before, at the end of its phase). */
    loadMaxMs: 90_000,
    loadMaxRequests: 2_000_000,
    haproxyPollMs: 100,
  };
}

/** @param {{ group: ProcessGroup, log: (line: string) => void }} ctx */
export async function run({ group, log }) {
  const s = settings();
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const haproxyVersion = requireHaproxy();
  const { createTestbed, testbedSupported } = await loadTestbed();
  const support = testbedSupported();
  if (!support.ok) throw new Error(`the edge-faults benchmark needs the testbed: ${support.why}`);

  const loadAvgAtStart = os.loadavg().map((n) => Math.round(n * 100) / 100);
  log(`  creating a testbed of ${HOSTS} hosts`);
  const testbed = await createTestbed({ hosts: HOSTS, name: 'edgefaults' });
  const slot = Number(testbed.hosts[0].address.split('.')[2]);
  const victim = testbed.hosts[VICTIM];
  let slipway;
  let haproxy;
  let poller;

  // Interrupted (Ctrl-C): bench/run.mjs (or main() below) stops the ProcessGroup (HAProxy, the load client) and
  // exits; the local agent (the edge) and the testbed must go too. Synchronous: the handler blocks until done.
  const onSignal = () => {
    if (slipway) slipway.stopAgentSync();
    spawnSync(process.execPath, [TEARDOWN_SCRIPT, String(slot)], { stdio: 'inherit', timeout: 120_000 });
    slipway?.dispose();
    haproxy?.cleanup();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const edgePort = await freePort();
    slipway = createEdgeProject({ group, testbed, edgePort });
    const setup = await slipway.cli(['setup', 'production']);
    log(`  slipway setup on ${HOSTS} hosts: ${(setup.ms / 1000).toFixed(1)} s`);
    await slipway.cli(['release', 'create', '--version', '1.0.0']);
    const deploy = await slipway.cli(['deploy', 'production', '--release', '1.0.0']);
    log(`  slipway deploy 1.0.0 behind the edge on :${edgePort}: ${(deploy.ms / 1000).toFixed(1)} s`);

    const haproxyPort = await freePort();
    haproxy = await startHaproxyEdge(group, {
      port: haproxyPort,
      servers: testbed.hosts.map((h) => ({ name: h.name, address: h.address, port: HOST_ROUTER_PORT })),
    });
    poller = pollServerStates(haproxy.stats, 'hosts', s.haproxyPollMs);
    log(`  ${haproxyVersion} as an edge on :${haproxyPort}`);

    const edges = {
      slipway: {
        url: `http://127.0.0.1:${edgePort}/`,
        allInRotation: async () => {
          const members = await slipway.members();
          return members.length === HOSTS && members.every((m) => m.state === 'in-rotation');
        },
        victimInRotation: async () =>
          (await slipway.members()).find((m) => m.id === victim.name)?.state === 'in-rotation',
      },
      haproxy: {
        url: `http://127.0.0.1:${haproxyPort}/`,
        allInRotation: () => {
          const states = Object.values(poller.current());
          return Promise.resolve(states.length === HOSTS && states.every((st) => st === 'UP'));
        },
        victimInRotation: () => Promise.resolve(poller.current()[victim.name] === 'UP'),
      },
    };

    const phases = [];
    for (let round = 1; round <= s.rounds; round++) {
      const order = round % 2 === 1 ? ['slipway', 'haproxy'] : ['haproxy', 'slipway'];
      for (const id of order) {
        // Both edges see every cut (they check the same hosts): start each phase with every host in both.
        await waitUntil('every host in rotation in both edges', 90_000, async () => {
          return (await edges.slipway.allInRotation()) && (await edges.haproxy.allInRotation());
        });
        const phase = await runPhase({ id, round, edge: edges[id], group, s, victim, log });
        if (id === 'slipway') Object.assign(phase, await slipway.edgeEvents(victim.name, phase));
        else Object.assign(phase, haproxyTimes(poller.changes, haproxy.logLines, victim.name, phase, s));
        phases.push(phase);
        log(`  round ${round}, ${EDGES[id].label}: ${describePhase(phase)}`);
      }
    }

    const json = {
      settings: {
        ...s,
        hosts: HOSTS,
        victim: victim.name,
        hostRouterPort: HOST_ROUTER_PORT,
        slipwayConfig: slipway.configText,
        haproxyConfig: haproxy.config,
      },
      versions: { node: process.versions.node, haproxy: haproxyVersion },
      loadAvgAtStart,
      loadAvgAtEnd: os.loadavg().map((n) => Math.round(n * 100) / 100),
      setupMs: setup.ms,
      phases,
      summary: summarize(phases),
      haproxyPolls: poller.polls(),
    };
    return { json, markdown: renderMarkdown(json) };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const h of testbed.hosts) await h.restoreLink().catch(() => undefined);
    await poller?.stop();
    if (haproxy) {
      await group.stop(haproxy.pid);
      haproxy.cleanup();
    }
    if (slipway) await slipway.stopAgent();
    await testbed.destroy();
    slipway?.dispose();
  }
}

/**
 * One phase: load through the edge, warm-up, cut the victim's link, keep the load `cutMs`, restore the link, keep
 * the load until the edge has the host back in rotation (at most `backWaitMs`), stop. Always restores the link.
 */
async function runPhase({ id, round, edge, group, s, victim, log }) {
  const load = await group.startServer(`load client (${id})`, process.execPath, [
    LOAD_CLIENT,
    edge.url,
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
  let cutAtMs;
  let restoredAtMs;
  let cutCommandMs;
  let seenBackAtMs = null;
  try {
    await sleep(s.warmMs);
    cutAtMs = Date.now();
    await victim.cutLink();
    cutCommandMs = Date.now() - cutAtMs;
    log(`  round ${round}, ${EDGES[id].label}: ${victim.name}'s link cut`);
    await sleep(s.cutMs);
  } finally {
    restoredAtMs = Date.now();
    await victim.restoreLink();
  }
  const backDeadline = restoredAtMs + s.backWaitMs;
  while (Date.now() < backDeadline) {
    if (await edge.victimInRotation().catch(() => false)) {
      seenBackAtMs = Date.now();
      break;
    }
    await sleep(id === 'haproxy' ? 100 : 250);
  }
  const stoppedAtMs = Date.now();
  await group.stop(load.pid, 10_000);
  const line = await Promise.race([reportLine, sleep(5_000).then(() => null)]);
  if (!line) throw new Error(`the load client of ${id} printed no report: ${load.stderrTail()}`);
  const report = JSON.parse(line);
  return {
    edge: id,
    round,
    cutAtMs,
    cutCommandMs,
    restoredAtMs,
    loadStoppedAtMs: stoppedAtMs,
    seenBackAfterRestoreMs: seenBackAtMs === null ? null : seenBackAtMs - restoredAtMs,
    requests: report.total,
    failed: report.failed,
    byStatus: report.byStatus,
    errors: report.errors,
    latencyMs: report.latencyMs,
    loadMs: report.stoppedAtMs - report.startedAtMs,
    // Where the failed and slow requests started, relative to the cut (ms; negative: before it).
    failures: report.failures.map((f) => ({ ...f, afterCutMs: f.atMs - cutAtMs })),
    slow: report.slow.map((f) => ({ ...f, afterCutMs: f.atMs - cutAtMs })),
    over1s: report.over1s,
    // The longest time in which no connection got a 200, and when it began relative to the cut.
    longestGapMs: report.longestGapMs,
    longestGapAfterCutMs: report.longestGapFromMs - cutAtMs,
  };
}

/** HAProxy: when the victim left the rotation after the cut and came back after the restore (polled, and logged). */
function haproxyTimes(changes, logLines, server, phase, s) {
  const mine = changes.filter((c) => c.server === server);
  const out = mine.find(
    (c) => c.atMs >= phase.cutAtMs && c.atMs < phase.restoredAtMs && !inRotation(c.status),
  );
  const back = mine.find((c) => c.atMs >= phase.restoredAtMs && c.status === 'UP');
  const logged = logLines.filter((l) => l.atMs >= phase.cutAtMs && l.line.includes(`/${server} is`));
  const down = logged.find((l) => / is DOWN/.test(l.line));
  const up = logged.find((l) => l.atMs >= phase.restoredAtMs && / is UP/.test(l.line));
  return {
    ejectedAfterCutMs: out ? out.atMs - phase.cutAtMs : null,
    backAfterRestoreMs: back ? back.atMs - phase.restoredAtMs : null,
    how: {
      source: `stats socket (show stat) polled every ${s.haproxyPollMs} ms`,
      states: mine.filter((c) => c.atMs >= phase.cutAtMs && c.atMs <= phase.loadStoppedAtMs + 1_000),
      logDown: down ? { afterCutMs: down.atMs - phase.cutAtMs, line: down.line } : null,
      logUp: up ? { afterRestoreMs: up.atMs - phase.restoredAtMs, line: up.line } : null,
    },
  };
}

/** Slipway's edge: a copy of examples/hello on the testbed's hosts behind a local edge, driven by the built CLI. */
function createEdgeProject({ group, testbed, edgePort }) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-faults-'));
  cpSync(join(ROOT, 'examples', 'hello'), dir, {
    recursive: true,
    filter: (src) => !src.includes('.slipway'),
  });
  const file = join(dir, 'slipway.yml');
  const configText = edgeConfig({ testbed, edgePort });
  writeFileSync(file, configText);
  const env = { ...process.env, NO_COLOR: '1' };
  const cli = (args) =>
    runChecked(group, `slipway ${args[0]}`, process.execPath, [CLI, '-c', file, ...args], {
      env,
      timeoutMs: 300_000,
    });
  return {
    dir,
    configText,
    cli,
    async members() {
      const [status] = JSON.parse((await cli(['status', 'production', '--json'])).stdout);
      return status?.edge?.members ?? [];
    },
    /** The edge's own times of the victim's ejection and re-admission (its ledgered events). */
    async edgeEvents(member, phase) {
      const events = JSON.parse((await cli(['history', 'production', '--json', '-n', '300'])).stdout);
      const of = (kind) =>
        events.filter((e) => e.kind === kind && e.data?.member === member).sort((a, b) => a.atMs - b.atMs);
      const ejected = of('edge.member-ejected').find(
        (e) => e.atMs >= phase.cutAtMs && e.atMs < phase.restoredAtMs,
      );
      const readmitted = of('edge.member-readmitted').find((e) => e.atMs >= phase.restoredAtMs);
      return {
        ejectedAfterCutMs: ejected ? ejected.atMs - phase.cutAtMs : null,
        backAfterRestoreMs: readmitted ? readmitted.atMs - phase.restoredAtMs : null,
        how: {
          source: '`slipway history production --json`: edge.member-ejected / edge.member-readmitted',
          ejected: ejected ? { cause: ejected.data?.cause, message: ejected.message } : null,
          readmitted: readmitted ? { message: readmitted.message } : null,
        },
      };
    },
    async stopAgent() {
      await cli(['agent', 'stop', '--stop-targets']).catch(() => undefined);
    },
    stopAgentSync() {
      spawnSync(process.execPath, [CLI, '-c', file, 'agent', 'stop', '--stop-targets'], {
        env,
        stdio: 'ignore',
        timeout: 30_000,
      });
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * slipway.yml: examples/hello on the testbed's hosts (each host's router on HOST_ROUTER_PORT) behind a local edge
 * on `edgePort`, the README's rolling strategy, and defaults everywhere else: the health check (GET /healthz every
 * 1 s, 2 s timeout, 3 failures out, 2 passes in) and the edge's failover (connectTimeout 1s, answerTimeout 1s–10s,
 * retryBudget 0.2, ejectAfter 3).
 */
function edgeConfig({ testbed, edgePort }) {
  const hosts = testbed.hosts
    .map(
      (h) =>
        `      - name: ${h.name}\n        address: ${h.address}\n        user: root\n        identityFile: ${testbed.clientKeyPath}`,
    )
    .join('\n');
  return `app: hello
build:
  command: node build.js
run:
  command: node server.js
  stopTimeout: 5s
healthCheck:
  path: /healthz
env:
  GREETING: "Hello"
environments:
  production:
    hosts:
${hosts}
    publicPort: ${HOST_ROUTER_PORT}
    ssh:
      knownHosts: ${testbed.knownHostsPath}
      connectTimeout: 5s
    edge:
      host: local
      publicPort: ${edgePort}
      bindAddress: 127.0.0.1
    strategy:
      kind: rolling
      batchSize: 1
      failureBudget: 0
`;
}

async function waitUntil(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(500);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

function summarize(phases) {
  return Object.fromEntries(
    Object.keys(EDGES).map((id) => {
      const mine = phases.filter((p) => p.edge === id);
      return [
        id,
        {
          requests: mine.reduce((n, p) => n + p.requests, 0),
          failed: mine.reduce((n, p) => n + p.failed, 0),
          slowestMs: Math.max(...mine.map((p) => p.latencyMs.max)),
          medianP99Ms: median(mine.map((p) => p.latencyMs.p99)),
          medianEjectedAfterCutMs: median(mine.map((p) => p.ejectedAfterCutMs ?? NaN)),
          medianBackAfterRestoreMs: median(mine.map((p) => p.backAfterRestoreMs ?? NaN)),
        },
      ];
    }),
  );
}

const sec = (ms) => (ms === null || !Number.isFinite(ms) ? 'n/a' : (ms / 1000).toFixed(2));
const int = (n) => n.toLocaleString('en-US');

function describePhase(p) {
  return (
    `${int(p.requests)} requests, ${p.failed} failed, slowest ${sec(p.latencyMs.max)} s, p99 ${p.latencyMs.p99} ms, ` +
    `no answer for ${sec(p.longestGapMs)} s; ` +
    `out of rotation ${sec(p.ejectedAfterCutMs)} s after the cut, back ${sec(p.backAfterRestoreMs)} s after the restore`
  );
}

/** "Health analyze (Detected 3 consecutive errors, …)" from HAProxy's "Server hosts/h2 is DOWN, reason: …" line. */
function haproxyReason(line) {
  if (!line) return 'no DOWN logged';
  const reason = /reason: ([^,]+)/.exec(line)?.[1] ?? 'unknown';
  const info = /info: "([^"]+)"/.exec(line)?.[1];
  return info ? `${reason} (${info})` : reason;
}

function renderMarkdown(j) {
  const st = j.settings;
  const row = (p) =>
    `| ${EDGES[p.edge].label} | ${p.round} | ${int(p.requests)} | ${p.failed === 0 ? '0' : `**${p.failed}**`} | ` +
    `${sec(p.latencyMs.max)} | ${p.latencyMs.p99} | ${p.over1s} | ${sec(p.longestGapMs)} | ${sec(p.ejectedAfterCutMs)} | ${sec(p.backAfterRestoreMs)} |`;
  const edgeOrder = Object.keys(EDGES);
  const sorted = [...j.phases].sort(
    (a, b) => edgeOrder.indexOf(a.edge) - edgeOrder.indexOf(b.edge) || a.round - b.round,
  );
  const lines = [
    `## Faults: a cut link behind the edge, against HAProxy`,
    ``,
    `${st.hosts} testbed hosts serve examples/hello, each behind its own Slipway router (:${st.hostRouterPort}); ` +
      `in front of them, in the same run, Slipway's edge (local, default edge settings and health check) and ` +
      `${j.versions.haproxy.replace(/ - https.*$/, '')} as an edge. Per edge and round: ${st.concurrency} keep-alive ` +
      `connections send GET / through the edge (each request given up after ${st.clientTimeoutMs / 1000} s); after ` +
      `${st.warmMs / 1000} s the link of ${st.victim} is cut (its veth set down: packets stop, no RST), ` +
      `${st.cutMs / 1000} s later it is restored, and the load stops once the edge has ${st.victim} back in rotation ` +
      `(at most ${st.backWaitMs / 1000} s). ${st.rounds} rounds, Slipway first in odd rounds, HAProxy first in even ` +
      `ones. Load average at start ${j.loadAvgAtStart.join(' ')}, at the end ${j.loadAvgAtEnd.join(' ')}.`,
    ``,
    `| edge | round | requests | failed | slowest (s) | p99 (ms) | requests ≥ 1 s | longest time with no answer to anyone (s) | out of rotation after the cut (s) | back in rotation after the restore (s) |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    ...sorted.map(row),
    ``,
    `Failed: no answer within ${st.clientTimeoutMs / 1000} s, or not a 200. Longest time with no answer: the longest ` +
      `stretch in which none of the ${st.concurrency} connections got a 200. Out of rotation / back: Slipway from its ` +
      `ledgered \`edge.member-ejected\` / \`edge.member-readmitted\` events (\`slipway history production --json\`); ` +
      `HAProxy from its stats socket (\`show stat\`, polled every ${st.haproxyPollMs} ms: DOWN, then UP).`,
    ``,
  ];
  for (const p of sorted) {
    const causes = Object.entries(p.errors)
      .map(([k, v]) => `${v} × ${k}`)
      .concat(
        Object.entries(p.byStatus)
          .filter(([code]) => code !== '200')
          .map(([code, v]) => `${v} × status ${code}`),
      );
    const why =
      p.edge === 'slipway' ? (p.how.ejected?.cause ?? 'not ejected') : haproxyReason(p.how.logDown?.line);
    lines.push(
      `- ${EDGES[p.edge].label}, round ${p.round}: ${causes.length ? causes.join(', ') : 'no failures'}; ` +
        `taken out for: ${why}.`,
    );
  }
  lines.push(
    ``,
    `HAProxy's configuration (\`backend hosts\`; \`timeout check\` unset, so a check's timeout is its \`inter\`):`,
    ``,
    '```',
    st.haproxyConfig.replace(/stats socket \S+/, 'stats socket <dir>/admin.sock').trimEnd(),
    '```',
    ``,
  );
  return lines.join('\n');
}

// On its own: `node bench/edge-faults-bench.mjs` writes bench/results/edge-faults.{json,md}.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const group = new ProcessGroup();
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping benchmark processes`);
      void group.stopAll().finally(() => process.exit(130));
    });
  }
  const resultsDir = join(ROOT, 'bench', 'results');
  let code = 0;
  try {
    const startedAt = new Date().toISOString();
    const result = await run({ group, log: (line) => console.log(line) });
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(
      join(resultsDir, 'edge-faults.json'),
      `${JSON.stringify({ startedAt, finishedAt: new Date().toISOString(), ...result.json }, null, 2)}\n`,
    );
    writeFileSync(join(resultsDir, 'edge-faults.md'), `${result.markdown}\n`);
    console.log(`\n${result.markdown}\nwrote ${resultsDir}/edge-faults.json and edge-faults.md`);
  } catch (err) {
    console.error(`edge-faults benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
    code = 1;
  } finally {
    await group.stopAll();
  }
  process.exit(code);
}
