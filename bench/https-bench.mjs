// HTTPS benchmark: the Slipway router terminating TLS (its TLS listener, fast path) against HAProxy terminating
// TLS with the same certificate (ECDSA P-256, made here with openssl), the same protocol floor and cipher lists,
// ALPN http/1.1, nbthread 1, in one run on the same machine and behind the same backend:
// - keep-alive throughput (wrk over HTTPS) and CPU per request of the proxy process;
// - new TLS handshakes per second (`openssl s_time -new`, full handshakes, TLS 1.3 and TLS 1.2) and CPU per
//   handshake of the proxy process.
// Called by bench/run.mjs (`node bench/run.mjs https`). BENCH_DURATION_S, BENCH_WARMUP_S, BENCH_CONNECTIONS,
// BENCH_ROUNDS, BENCH_HANDSHAKE_S and BENCH_HANDSHAKE_CLIENTS tune it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { cpuUsPerRequest, readCpuTime } from './lib/cpu-time.mjs';
import { haproxyConfig, requireHaproxy } from './lib/haproxy.mjs';
import { freePort, sleep } from './lib/processes.mjs';
import { requireWrk, runWrk } from './lib/wrk.mjs';

export const name = 'https';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BACKEND_SCRIPT = fileURLToPath(new URL('./backend-server.mjs', import.meta.url));
const SERVER_NAME = 'bench.test';
// The router's lists (src/router/tls/tls-settings.ts), given to HAProxy as they are.
const TLS13_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';
const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
const CURVES = 'X25519:P-256:P-384';

/**
 * The router process: the working tree's Router with a TLS listener, bundled with esbuild (as scripts/build.mjs
 * bundles bench/router-server.ts), one active target, prints {"ready":true,"port":<TLS port>,"pid"}. With
 * FRONT_DOOR=1 the TLS port is a front door's instead, as the agent's router process opens it: ACME answers on
 * (so every ClientHello is read for TLS-ALPN-01 first), the router attached for SERVER_NAME.
 */
const ROUTER_ENTRY = `
import { Http01Answers, TlsAlpn01Answers } from './src/certificates/challenges.js';
import { FrontDoor } from './src/router/front-door.js';
import { Router } from './src/router/router.js';
import { CertificateStore } from './src/router/tls/certificate-store.js';
const store = await CertificateStore.load({
  certificates: [{ id: 'bench', certFile: process.env.CERT_FILE, keyFile: process.env.KEY_FILE }],
  defaultCertificate: 'bench',
});
const frontDoor = process.env.FRONT_DOOR === '1';
const router = await Router.listen({
  port: 0,
  host: '127.0.0.1',
  ...(frontDoor ? {} : { tls: { port: 0, store } }),
  httpsRedirect: false,
});
router.addTarget({ id: 'app', release: 'bench', port: Number(process.env.BACKEND_PORT) });
router.setActive('app');
let port = router.tlsPort;
let door = null;
if (frontDoor) {
  door = await FrontDoor.listen({
    port: 0,
    host: '127.0.0.1',
    tls: { port: 0, store },
    acme: { http01: new Http01Answers(), tlsAlpn01: new TlsAlpn01Answers() },
  });
  door.attach({ id: 'bench', names: [process.env.SERVER_NAME], pathPrefix: '/' }, router);
  port = door.tlsPort;
}
process.stdout.write(JSON.stringify({ ready: true, port, pid: process.pid }) + '\\n');
process.on('SIGTERM', () => void Promise.all([router.close(), door?.close()]).then(() => process.exit(0)));
`;

export function settingsFromEnv(env = process.env) {
  const num = (key, fallback) => (env[key] ? Number(env[key]) : fallback);
  return {
    durationS: num('BENCH_DURATION_S', 10),
    warmupS: num('BENCH_WARMUP_S', 2),
    connections: num('BENCH_CONNECTIONS', 50),
    rounds: num('BENCH_ROUNDS', 2),
    handshakeS: num('BENCH_HANDSHAKE_S', 5),
    handshakeClients: num('BENCH_HANDSHAKE_CLIENTS', 2),
  };
}

/** @param {{ group: import('./lib/processes.mjs').ProcessGroup, log: (line: string) => void }} ctx */
export async function run({ group, log, settings = settingsFromEnv() }) {
  const tools = { wrk: requireWrk(), haproxy: requireHaproxy(), openssl: opensslVersion() };
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-https-'));
  try {
    const pki = makeCertificate(dir);
    const routerScript = join(dir, 'https-router.mjs');
    await bundleRouter(routerScript);
    const backend = await group.startServer('backend', process.execPath, [BACKEND_SCRIPT, 'app']);
    const router = await group.startServer('router', process.execPath, [routerScript], {
      env: {
        ...process.env,
        CERT_FILE: pki.certFile,
        KEY_FILE: pki.keyFile,
        BACKEND_PORT: String(backend.port),
      },
    });
    const door = await group.startServer('front-door', process.execPath, [routerScript], {
      env: {
        ...process.env,
        CERT_FILE: pki.certFile,
        KEY_FILE: pki.keyFile,
        BACKEND_PORT: String(backend.port),
        FRONT_DOOR: '1',
        SERVER_NAME,
      },
    });
    const haproxy = await startTlsHaproxy(group, dir, pki, backend.port);
    const cases = {
      router: { port: router.port, pid: router.pid },
      frontdoor: { port: door.port, pid: door.pid, headers: { Host: SERVER_NAME } },
      haproxy: { port: haproxy.port, pid: haproxy.pid },
    };
    const negotiated = {};
    for (const [kase, { port }] of Object.entries(cases)) {
      negotiated[kase] = await describeHandshake(port, pki.ca);
      log(`  ${kase}: ${JSON.stringify(negotiated[kase])}`);
    }
    const throughput = await measureThroughput(group, log, settings, cases);
    const handshakes = await measureHandshakes(group, log, settings, cases);
    const json = { tools, settings, negotiated, throughput, handshakes };
    return { json, markdown: renderMarkdown(json) };
  } finally {
    await group.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

function opensslVersion() {
  return execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
}

/** A test CA and an ECDSA P-256 leaf for bench.test; HAProxy takes the chain and key in one file. */
function makeCertificate(dir) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const openssl = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/CN=Bench CA',
    '-days',
    '2',
  ]);
  openssl([
    'req',
    ...ec,
    '-keyout',
    'leaf.key',
    '-x509',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-subj',
    `/CN=${SERVER_NAME}`,
    '-addext',
    `subjectAltName=DNS:${SERVER_NAME}`,
    '-days',
    '2',
    '-out',
    'leaf.pem',
  ]);
  const certFile = join(dir, 'leaf.pem');
  const keyFile = join(dir, 'leaf.key');
  const combined = join(dir, 'haproxy.pem');
  writeFileSync(combined, readFileSync(certFile, 'utf8') + readFileSync(keyFile, 'utf8'));
  return { certFile, keyFile, combined, ca: readFileSync(join(dir, 'ca.pem'), 'utf8') };
}

async function bundleRouter(outfile) {
  await build({
    stdin: { contents: ROUTER_ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'https-router.ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile,
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);",
    },
  });
}

async function startTlsHaproxy(group, dir, pki, backendPort) {
  const port = await freePort();
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(
    file,
    haproxyConfig({
      port,
      backendPort,
      tls: { crt: pki.combined, tls12Ciphers: TLS12_CIPHERS, tls13Suites: TLS13_SUITES, curves: CURVES },
    }),
  );
  const proc = group.start('haproxy', 'haproxy', ['-db', '-f', file]);
  for (let attempt = 0; attempt < 100; attempt++) {
    const probe = await describeHandshake(port, pki.ca).catch(() => null);
    if (probe !== null) return { ...proc, port };
    const exited = await Promise.race([proc.exited.then(() => true), sleep(50).then(() => false)]);
    if (exited) break;
  }
  throw new Error(`haproxy did not start: ${proc.stderrTail()}`);
}

/** What a client negotiates: protocol, cipher, key exchange group, ALPN, the certificate's key. */
function describeHandshake(port, ca) {
  return new Promise((resolve, reject) => {
    const socket = connectTls({
      host: '127.0.0.1',
      port,
      servername: SERVER_NAME,
      ca,
      ALPNProtocols: ['http/1.1'],
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const described = {
        protocol: socket.getProtocol(),
        cipher: socket.getCipher()?.name,
        group: socket.getEphemeralKeyInfo()?.name ?? null,
        alpn: socket.alpnProtocol,
        certificate: `${cert.asn1Curve ?? cert.bits ?? '?'} ${cert.subject?.CN ?? ''}`.trim(),
      };
      socket.destroy();
      resolve(described);
    });
    socket.once('error', reject);
  });
}

async function measureThroughput(group, log, settings, cases) {
  const order = Object.keys(cases);
  const runs = Object.fromEntries(order.map((k) => [k, []]));
  for (let round = 0; round < settings.rounds; round++) {
    for (const kase of round % 2 === 0 ? order : [...order].reverse()) {
      const url = `https://127.0.0.1:${cases[kase].port}/`;
      const headers = cases[kase].headers ?? {};
      if (settings.warmupS > 0) {
        await runWrk(group, { url, durationS: settings.warmupS, connections: settings.connections, headers });
      }
      const before = readCpuTime(cases[kase].pid);
      const report = await runWrk(group, {
        url,
        durationS: settings.durationS,
        connections: settings.connections,
        headers,
      });
      report.cpuUsPerRequest = cpuUsPerRequest(before, readCpuTime(cases[kase].pid), report.requests);
      log(
        `  ${kase.padEnd(9)} keep-alive round ${round + 1}: ${Math.round(report.requestsPerSec)} req/s, ` +
          `p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, errors ${report.non2xx + report.socketErrors}, ` +
          `CPU ${report.cpuUsPerRequest?.total ?? '?'} µs/request`,
      );
      runs[kase].push(report);
    }
  }
  const summary = Object.fromEntries(
    Object.entries(runs).map(([kase, reports]) => {
      const mean = (pick) => reports.reduce((sum, r) => sum + pick(r), 0) / reports.length;
      return [
        kase,
        {
          requestsPerSec: Math.round(mean((r) => r.requestsPerSec)),
          perRoundRequestsPerSec: reports.map((r) => Math.round(r.requestsPerSec)),
          p50Ms: round3(mean((r) => r.latencyMs.p50)),
          p99Ms: round3(mean((r) => r.latencyMs.p99)),
          errors: reports.reduce((sum, r) => sum + r.non2xx + r.socketErrors, 0),
          cpuUsPerRequest: reports.every((r) => r.cpuUsPerRequest)
            ? round1(mean((r) => r.cpuUsPerRequest.total))
            : null,
        },
      ];
    }),
  );
  return {
    summary,
    ratios: {
      routerVsHaproxy: round3(summary.router.requestsPerSec / summary.haproxy.requestsPerSec),
      routerCpuVsHaproxyCpu:
        summary.router.cpuUsPerRequest && summary.haproxy.cpuUsPerRequest
          ? round3(summary.router.cpuUsPerRequest / summary.haproxy.cpuUsPerRequest)
          : null,
      frontDoorVsHaproxy: round3(summary.frontdoor.requestsPerSec / summary.haproxy.requestsPerSec),
      frontDoorCpuVsHaproxyCpu:
        summary.frontdoor.cpuUsPerRequest && summary.haproxy.cpuUsPerRequest
          ? round3(summary.frontdoor.cpuUsPerRequest / summary.haproxy.cpuUsPerRequest)
          : null,
    },
  };
}

/**
 * Full handshakes: `handshakeClients` `openssl s_time -new` processes at once for `handshakeS` seconds (no SNI:
 * both serve their one certificate to such a client), per protocol version, rounds in alternating order.
 */
async function measureHandshakes(group, log, settings, cases) {
  const order = Object.keys(cases);
  const out = {};
  for (const version of ['-tls1_3', '-tls1_2']) {
    const label = version === '-tls1_3' ? 'TLSv1.3' : 'TLSv1.2';
    const runs = Object.fromEntries(order.map((k) => [k, []]));
    for (let round = 0; round < settings.rounds; round++) {
      for (const kase of round % 2 === 0 ? order : [...order].reverse()) {
        const { port, pid } = cases[kase];
        const before = readCpuTime(pid);
        const startedMs = performance.now();
        const counts = await Promise.all(
          Array.from({ length: settings.handshakeClients }, (_, i) =>
            runSTime(group, `s_time-${i}`, port, version, settings.handshakeS),
          ),
        );
        const seconds = (performance.now() - startedMs) / 1000;
        const handshakes = counts.reduce((sum, n) => sum + n, 0);
        const cpu = cpuUsPerRequest(before, readCpuTime(pid), handshakes);
        const result = {
          handshakes,
          perSec: Math.round(handshakes / seconds),
          cpuUsPerHandshake: cpu?.total ?? null,
        };
        log(
          `  ${kase.padEnd(9)} ${label} handshakes round ${round + 1}: ${result.perSec}/s, ` +
            `CPU ${result.cpuUsPerHandshake ?? '?'} µs/handshake`,
        );
        runs[kase].push(result);
      }
    }
    const summary = Object.fromEntries(
      Object.entries(runs).map(([kase, rs]) => [
        kase,
        {
          perSec: Math.round(rs.reduce((s, r) => s + r.perSec, 0) / rs.length),
          perRoundPerSec: rs.map((r) => r.perSec),
          cpuUsPerHandshake: rs.every((r) => r.cpuUsPerHandshake !== null)
            ? round1(rs.reduce((s, r) => s + r.cpuUsPerHandshake, 0) / rs.length)
            : null,
        },
      ]),
    );
    out[label] = {
      summary,
      ratios: {
        routerVsHaproxy: round3(summary.router.perSec / summary.haproxy.perSec),
        routerCpuVsHaproxyCpu:
          summary.router.cpuUsPerHandshake && summary.haproxy.cpuUsPerHandshake
            ? round3(summary.router.cpuUsPerHandshake / summary.haproxy.cpuUsPerHandshake)
            : null,
        frontDoorVsHaproxy: round3(summary.frontdoor.perSec / summary.haproxy.perSec),
        frontDoorCpuVsHaproxyCpu:
          summary.frontdoor.cpuUsPerHandshake && summary.haproxy.cpuUsPerHandshake
            ? round3(summary.frontdoor.cpuUsPerHandshake / summary.haproxy.cpuUsPerHandshake)
            : null,
      },
    };
  }
  return out;
}

/** One `openssl s_time -new` run; resolves with the number of connections (full handshakes) it made. */
async function runSTime(group, label, port, version, seconds) {
  const proc = group.start(label, 'openssl', [
    's_time',
    '-connect',
    `127.0.0.1:${port}`,
    '-new',
    version,
    '-time',
    String(seconds),
  ]);
  let out = '';
  proc.child.stdout.on('data', (chunk) => {
    out += chunk.toString();
  });
  const code = await proc.exited;
  await sleep(10);
  const m = /(\d+) connections in [\d.]+ real seconds/.exec(out) ?? /(\d+) connections in [\d.]+s/.exec(out);
  if (m === null) throw new Error(`s_time failed (exit ${code}): ${proc.stderrTail() || out}`);
  return Number(m[1]);
}

function round1(n) {
  return Math.round(n * 10) / 10;
}

function round3(n) {
  return Math.round(n * 1000) / 1000;
}

function renderMarkdown({ tools, settings, negotiated, throughput, handshakes }) {
  const t = throughput.summary;
  const row = (label, x) =>
    `| ${label} | ${x.requestsPerSec} | ${x.perRoundRequestsPerSec.join(' / ')} | ${x.p50Ms} | ${x.p99Ms} | ${x.errors} | ${x.cpuUsPerRequest ?? '–'} |`;
  const hs = Object.entries(handshakes).flatMap(([version, h]) => [
    `| ${version} | Slipway router | ${h.summary.router.perSec} | ${h.summary.router.perRoundPerSec.join(' / ')} | ${h.summary.router.cpuUsPerHandshake ?? '–'} |`,
    `| ${version} | Slipway front door (ACME on) | ${h.summary.frontdoor.perSec} | ${h.summary.frontdoor.perRoundPerSec.join(' / ')} | ${h.summary.frontdoor.cpuUsPerHandshake ?? '–'} |`,
    `| ${version} | HAProxy | ${h.summary.haproxy.perSec} | ${h.summary.haproxy.perRoundPerSec.join(' / ')} | ${h.summary.haproxy.cpuUsPerHandshake ?? '–'} |`,
  ]);
  const n = negotiated.router;
  return [
    `## HTTPS`,
    ``,
    `Both terminate TLS with one ECDSA P-256 certificate, TLS 1.2 minimum, the same TLS 1.3 suites and TLS 1.2 ` +
      `ciphers (ECDHE + AEAD), ALPN http/1.1; HAProxy with nbthread 1. Negotiated by a Node client: router ` +
      `${n.protocol} ${n.cipher} ${n.group}, HAProxy ${negotiated.haproxy.protocol} ${negotiated.haproxy.cipher} ${negotiated.haproxy.group}. ` +
      `${tools.wrk}; ${tools.haproxy}; ${tools.openssl}.`,
    ``,
    `Keep-alive: wrk over HTTPS, 1 thread, ${settings.connections} connections, ${settings.durationS} s per run after a ` +
      `${settings.warmupS} s warm-up, ${settings.rounds} round(s) in alternating order; backend: Node http server, ~100-byte body.`,
    ``,
    `| case | req/s (mean) | req/s per round | p50 ms | p99 ms | errors | CPU µs/request ¹ |`,
    `| --- | ---: | --- | ---: | ---: | ---: | ---: |`,
    row('Slipway router (TLS)', t.router),
    row('Slipway front door (TLS, by name, ACME on)', t.frontdoor),
    row('HAProxy (TLS, nbthread 1)', t.haproxy),
    ``,
    `- router / HAProxy throughput: **${throughput.ratios.routerVsHaproxy}** (goal ≥ 0.8)`,
    `- router CPU / HAProxy CPU per request: ${throughput.ratios.routerCpuVsHaproxyCpu ?? '–'}`,
    `- front door / HAProxy throughput: **${throughput.ratios.frontDoorVsHaproxy}**; CPU per request: ${throughput.ratios.frontDoorCpuVsHaproxyCpu ?? '–'}`,
    ``,
    `New handshakes: ${settings.handshakeClients} \`openssl s_time -new\` clients at once, ${settings.handshakeS} s per run, ` +
      `full handshakes (no resumption), ${settings.rounds} round(s) per protocol.`,
    ``,
    `| protocol | case | handshakes/s (mean) | per round | CPU µs/handshake ¹ |`,
    `| --- | --- | ---: | --- | ---: |`,
    ...hs,
    ``,
    ...Object.entries(handshakes).map(
      ([version, h]) =>
        `- ${version} handshakes/s router / HAProxy: **${h.ratios.routerVsHaproxy}**; CPU per handshake: ${h.ratios.routerCpuVsHaproxyCpu ?? '–'}; front door / HAProxy: **${h.ratios.frontDoorVsHaproxy}**; CPU per handshake: ${h.ratios.frontDoorCpuVsHaproxyCpu ?? '–'}`,
    ),
    ``,
    `¹ user + system CPU time of the proxy process, from /proc.`,
    ``,
  ].join('\n');
}
