// HAProxy as the reference proxy: same job as the Slipway router (HTTP mode, one server, keep-alive to it,
// X-Forwarded-* set), on one thread.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianTool } from './debian-tool.mjs';
import { sleep } from './processes.mjs';

/** HAProxy's version line; installs Debian's haproxy package first when it is missing and we are root. */
export function requireHaproxy() {
  return ensureDebianTool({ tool: 'haproxy', pkg: 'haproxy', probe: haproxyVersion });
}

function haproxyVersion() {
  try {
    return execFileSync('haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return null;
  }
}

/**
 * HAProxy as the benchmarks compare with: one thread, keep-alive both ways, the forwarded headers the router sets.
 * With `tls` ({ crt, tls12Ciphers, tls13Suites, curves }) it terminates TLS (1.2 minimum, ALPN http/1.1) with the
 * router's settings.
 */
export function haproxyConfig({ port, backendPort, tls = null }) {
  const sslGlobal = tls
    ? `  ssl-default-bind-options ssl-min-ver TLSv1.2
  ssl-default-bind-ciphers ${tls.tls12Ciphers}
  ssl-default-bind-ciphersuites ${tls.tls13Suites}
  ssl-default-bind-curves ${tls.curves}
`
    : '';
  return `global
  nbthread 1
  maxconn 4096
  log stderr format short local0 err
${sslGlobal}
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  option http-keep-alive
  # Idle server connections are shared between client connections, as the router's undici pool does.
  http-reuse always

frontend public
  bind 127.0.0.1:${port}${tls ? ` ssl crt ${tls.crt} alpn http/1.1` : ''}
  option forwardfor
  http-request set-header X-Forwarded-Proto ${tls ? 'https' : 'http'}
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  default_backend app

backend app
  server app1 127.0.0.1:${backendPort}
`;
}

/** Starts HAProxy in the foreground (-db) in `group`; resolves once its port accepts connections. */
export async function startHaproxy(group, { port, backendPort }) {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-haproxy-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, haproxyConfig({ port, backendPort }));
  const proc = group.start('haproxy', 'haproxy', ['-db', '-f', file]);
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await canConnect(port))
      return { ...proc, port, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    const exited = await Promise.race([proc.exited.then(() => true), sleep(50).then(() => false)]);
    if (exited) break;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`haproxy did not start: ${proc.stderrTail()}`);
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
