// HAProxy as an edge in front of several hosts' routers, for bench/edge-faults-bench.mjs: the options HAProxy
// users commonly set for failover (redispatch, one retry, short connect timeout, HTTP health checks, passive
// observation of answers), a stats socket the benchmark polls for each server's state, and the server state
// changes HAProxy logs (with their reason).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sleep } from './processes.mjs';

/** What the benchmark configures, also shown in its output. */
export const HAPROXY_EDGE = {
  timeoutConnect: '1s',
  timeoutServer: '10s',
  timeoutClient: '30s',
  retries: 1,
  check: 'check inter 2s fall 3 rise 2',
  observe: 'observe layer7 error-limit 3 on-error mark-down',
};

/**
 * @param {{ port: number, servers: Array<{ name: string, address: string, port: number }>, socket: string }} o
 */
export function haproxyEdgeConfig({ port, servers, socket }) {
  const h = HAPROXY_EDGE;
  return `global
  nbthread 1
  maxconn 4096
  # Server state changes (notice and above), not one line per request (info).
  log stderr format short local0 notice
  stats socket ${socket} mode 600 level admin

defaults
  mode http
  log global
  option http-keep-alive
  option redispatch
  retries ${h.retries}
  timeout connect ${h.timeoutConnect}
  timeout client ${h.timeoutClient}
  timeout server ${h.timeoutServer}
  timeout http-keep-alive 10s

frontend edge
  bind 127.0.0.1:${port}
  default_backend hosts

backend hosts
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
  default-server ${h.check} ${h.observe}
${servers.map((s) => `  server ${s.name} ${s.address}:${s.port}`).join('\n')}
`;
}

/**
 * Starts HAProxy (foreground, -db) in `group` as an edge for `servers`; resolves once its stats socket answers.
 * `logLines` collects its server state changes as they come ({ atMs, line }).
 * @param {import('./processes.mjs').ProcessGroup} group
 */
export async function startHaproxyEdge(group, { port, servers }) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-haproxy-edge-'));
  const socket = join(dir, 'admin.sock');
  const config = haproxyEdgeConfig({ port, servers, socket });
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const proc = group.start('haproxy (edge)', 'haproxy', ['-db', '-f', file]);
  const logLines = [];
  createInterface({ input: proc.child.stderr }).on('line', (line) => {
    if (/Server \S+ is (UP|DOWN)/.test(line)) logLines.push({ atMs: Date.now(), line: line.trim() });
  });
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  for (let attempt = 0; attempt < 100; attempt++) {
    const rows = await showStat(socket).catch(() => null);
    if (rows)
      return { pid: proc.pid, port, socket, config, logLines, cleanup, stats: () => showStat(socket) };
    const exited = await Promise.race([proc.exited.then(() => true), sleep(100).then(() => false)]);
    if (exited) break;
  }
  cleanup();
  throw new Error(`haproxy did not start: ${proc.stderrTail()}`);
}

/** One `show stat` on the stats socket: a row per proxy/server, keyed by the CSV header's names. */
export async function showStat(socket) {
  const text = await socketCommand(socket, 'show stat\n');
  const [header, ...lines] = text.split('\n').filter((l) => l.trim() !== '');
  if (!header?.startsWith('# ')) throw new Error(`unexpected answer to show stat: ${text.slice(0, 200)}`);
  const names = header.slice(2).split(',');
  return lines.map((line) => {
    const values = line.split(',');
    return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
  });
}

function socketCommand(path, command) {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    let out = '';
    const timer = setTimeout(() => socket.destroy(new Error('stats socket: no answer within 2 s')), 2_000);
    socket.setEncoding('utf8');
    socket.on('data', (d) => (out += d));
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.end(command);
  });
}

/** A server that gets new requests: UP, or UP and going down ("UP 1/3"); not DOWN, "DOWN 1/2" (going up) or MAINT. */
export const inRotation = (status) => status.startsWith('UP');

/**
 * Polls `show stat` every `everyMs` and keeps each server's state changes: { atMs, server, status, checkStatus }.
 * `current()` is the last state seen per server. Stop it with `stop()`.
 */
export function pollServerStates(stats, backend, everyMs = 100) {
  const changes = [];
  const last = new Map();
  let polls = 0;
  let failedPolls = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        const rows = await stats();
        const atMs = Date.now();
        polls++;
        for (const row of rows) {
          if (row.pxname !== backend || row.svname === 'BACKEND' || row.svname === 'FRONTEND') continue;
          if (last.get(row.svname) !== row.status) {
            last.set(row.svname, row.status);
            changes.push({ atMs, server: row.svname, status: row.status, checkStatus: row.check_status });
          }
        }
      } catch {
        failedPolls++;
      }
      await sleep(Math.max(0, everyMs - (Date.now() - started)));
    }
  })();
  return {
    changes,
    current: () => Object.fromEntries(last),
    polls: () => ({ polls, failedPolls }),
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
