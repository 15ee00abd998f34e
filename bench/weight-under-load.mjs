// A canary weight change while the router is saturated, through the real agent's control socket (the path a
// deploy's setWeight step takes): wrk saturates the public port of examples/hello while the benchmark sends
// setWeight commands (50% ↔ 1%) to the agent and times each round trip. The route change is a reference swap on
// the router's event loop before the agent answers, so the round trip is when it takes effect. Called by
// bench/run.mjs.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { helloConfig } from './lib/hello-config.mjs';
import { freePort, sleep, tryParse } from './lib/processes.mjs';
import { requireWrk, runWrk } from './lib/wrk.mjs';

export const name = 'weight-under-load';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');

function settings(env = process.env) {
  return {
    changes: Number(env.BENCH_WEIGHT_CHANGES ?? 40),
    pauseMs: Number(env.BENCH_WEIGHT_PAUSE_MS ?? 100),
    connections: Number(env.BENCH_CONNECTIONS ?? 50),
  };
}

const CANARY_PAUSED = `      kind: canary
      steps:
        - setWeight: 1
        - pause: {}
      analysis:
        interval: 2s
        tripwire: false
      keepWarm: 0s
      drainTimeout: 2s`;

function cli(dir, args, onStart) {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, '-c', join(dir, 'slipway.yml'), ...args],
      { env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }),
    );
    onStart?.(child);
  });
}

async function cliOk(dir, args) {
  const r = await cli(dir, args);
  if (r.code !== 0) throw new Error(`slipway ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r;
}

/** A JSON-lines client of the agent's control socket: one request at a time. */
function connectAgent(socketPath) {
  const socket = createConnection(socketPath);
  let buffer = '';
  let nextId = 1;
  const waiting = new Map();
  socket.on('data', (chunk) => {
    buffer += chunk.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = tryParse(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      const w = line && waiting.get(line.id);
      if (!w || !('result' in line || 'error' in line)) continue;
      waiting.delete(line.id);
      if (line.error) w.reject(new Error(line.error.message));
      else w.resolve(line.result);
    }
  });
  return {
    ready: new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject)),
    call(method, params) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        socket.write(`${JSON.stringify({ id, method, params })}\n`);
      });
    },
    close: () => socket.destroy(),
  };
}

async function timedChanges(agent, split, count, pauseMs) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const weight = i % 2 === 0 ? 50 : 1;
    const started = performance.now();
    await agent.call('setWeight', { app: 'hello', ...split, weight });
    times.push(performance.now() - started);
    await sleep(pauseMs);
  }
  return times;
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))] : NaN;
};
const summary = (xs) => ({ median: quantile(xs, 0.5), p90: quantile(xs, 0.9), max: Math.max(...xs) });

/** @param {{ group: import('./lib/processes.mjs').ProcessGroup, log: (line: string) => void }} ctx */
export async function run({ group, log }) {
  const s = settings();
  requireWrk();
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-weight-'));
  let deploy = null;
  try {
    cpSync(join(ROOT, 'examples', 'hello'), dir, { recursive: true });
    const port = await freePort();
    writeFileSync(join(dir, 'slipway.yml'), helloConfig(port, CANARY_PAUSED));
    await cliOk(dir, ['release', 'create', '--version', '1.0.0']);
    await cliOk(dir, ['deploy', 'production', '--release', '1.0.0']);
    await cliOk(dir, ['release', 'create', '--version', '2.0.0']);
    log('  canary 2.0.0 at 1%, paused');
    let child = null;
    deploy = cli(dir, ['deploy', 'production', '--release', '2.0.0'], (c) => (child = c));
    deploy.child = () => child;
    const journal = join(dir, '.slipway', 'agent', 'events.jsonl');
    let weighted = null;
    for (let i = 0; i < 600 && !weighted; i++) {
      await sleep(100);
      if (!existsSync(journal)) continue;
      weighted = readFileSync(journal, 'utf8')
        .split('\n')
        .map(tryParse)
        .find((e) => e?.kind === 'traffic.weighted' && e.data?.weight === 1);
    }
    if (!weighted) throw new Error('the canary never got its first weight');
    const split = {
      canaryTargetId: weighted.targetId,
      header: 'X-Slipway-Canary',
      cookie: 'slipway_canary',
    };
    const agent = connectAgent(join(dir, '.slipway', 'agent', 'agent.sock'));
    await agent.ready;
    try {
      log(`  ${s.changes} weight changes, idle`);
      const idle = await timedChanges(agent, split, s.changes, s.pauseMs);
      log(`  ${s.changes} weight changes while wrk (${s.connections} connections) saturates the router`);
      let loaded = [];
      const changes = sleep(1000).then(async () => {
        loaded = await timedChanges(agent, split, s.changes, s.pauseMs);
        await sleep(1000);
      });
      const wrk = await runWrk(group, {
        url: `http://127.0.0.1:${port}/`,
        connections: s.connections,
        until: changes,
        maxDurationS: 120,
      });
      await changes;
      const json = { settings: s, idle: summary(idle), underLoad: summary(loaded), wrk };
      return { json, markdown: renderMarkdown(json) };
    } finally {
      agent.close();
    }
  } finally {
    if (deploy) {
      await cli(dir, ['abort', 'production', '--reason', 'benchmark done']);
      await Promise.race([deploy, sleep(30_000)]);
      const child = deploy.child();
      if (child?.exitCode === null) child.kill('SIGKILL');
    }
    await cli(dir, ['agent', 'stop', '--stop-targets']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (ms) => `${ms.toFixed(2)} ms`;

function renderMarkdown(j) {
  return [
    `## Canary weight changes while the router is saturated (agent control socket)`,
    ``,
    `examples/hello, canary 2.0.0 paused at 1%; ${j.settings.changes} \`setWeight\` commands (50% ↔ 1%, ` +
      `${j.settings.pauseMs} ms apart) over the agent's control socket, first idle, then while wrk ` +
      `(${j.settings.connections} connections, keep-alive) saturates the public port.`,
    ``,
    `| | median | p90 | max |`,
    `| --- | ---: | ---: | ---: |`,
    `| setWeight round trip, idle | ${fmt(j.idle.median)} | ${fmt(j.idle.p90)} | ${fmt(j.idle.max)} |`,
    `| setWeight round trip, router saturated | ${fmt(j.underLoad.median)} | ${fmt(j.underLoad.p90)} | ${fmt(j.underLoad.max)} |`,
    ``,
    `Load meanwhile: ${Math.round(j.wrk.requestsPerSec)} req/s, p99 ${j.wrk.latencyMs.p99} ms, ` +
      `${j.wrk.non2xx} non-2xx, ${j.wrk.socketErrors} socket errors.`,
    ``,
  ].join('\n');
}
