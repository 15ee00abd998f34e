// The example app Slipway deploys in the demo and the tests. No dependencies: plain node:http.
// It listens on $PORT, shows its release, and answers /healthz. A few knobs (env) make it misbehave on purpose.
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';

const port = Number(process.env.PORT ?? 3000);
const release = process.env.SLIPWAY_RELEASE ?? 'dev';
const greeting = process.env.GREETING ?? 'Hello';
const build = JSON.parse(readFileSync(new URL('./build-info.json', import.meta.url), 'utf8'));

if (process.env.CRASH_AT_START === '1') {
  console.error(
    'CRASH_AT_START=1: refusing to start (this is the example of a release that crashes at start)',
  );
  process.exit(3);
}

const failHealth = process.env.FAIL_HEALTH === '1';
// HEALTH_FAIL_FILE=<path>: while that file exists, /healthz answers 503 (a host that turns unhealthy and recovers).
const healthFailFile = process.env.HEALTH_FAIL_FILE ?? '';
// FAIL_FILE=<path>: while that file exists, every request but /healthz answers 500 (errors switched on and off).
const failFile = process.env.FAIL_FILE ?? '';
// CRASH_AFTER_MS=<n>: serve, then exit with code 4 after n ms (a release that crash-loops after it went live).
const crashAfterMs = Number(process.env.CRASH_AFTER_MS ?? 0);
if (crashAfterMs > 0) {
  setTimeout(() => {
    console.error(
      `CRASH_AFTER_MS=${crashAfterMs}: giving up (this is the example of a release that crash-loops)`,
    );
    process.exit(4);
  }, crashAfterMs).unref();
}
const startDelayMs = Number(process.env.START_DELAY_MS ?? 0);
const extraLatencyMs = Number(process.env.EXTRA_LATENCY_MS ?? 0);
const errorRate = Number(process.env.ERROR_RATE ?? 0);
// FAIL_AFTER_MS: healthy at first, then every answer (health check included) is a 500 — a release that goes bad
// some time after it was deployed.
const failAfterMs = process.env.FAIL_AFTER_MS ? Number(process.env.FAIL_AFTER_MS) : null;
// SERVE_DOTENV=1 serves a .env file at /.env (the example of a release that leaks its configuration).
const serveDotenv = process.env.SERVE_DOTENV === '1';
// NO_SECURITY_HEADERS=1 drops the security headers every answer carries otherwise.
const securityHeaders =
  process.env.NO_SECURITY_HEADERS === '1'
    ? {}
    : { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' };
// LOG_API_TOKEN=1 writes the API_TOKEN secret's value to stdout at start and to stderr on every request but
// /healthz (the example of an app that logs a secret: `slipway logs` must show it redacted).
const logApiToken = process.env.LOG_API_TOKEN === '1';
const startedAt = Date.now();
let requests = 0;

const server = createServer((req, res) => {
  requests++;
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (failAfterMs !== null && Date.now() - startedAt >= failAfterMs) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('gone bad\n');
    return;
  }
  if (url.pathname === '/healthz') {
    const ready =
      !failHealth &&
      Date.now() - startedAt >= startDelayMs &&
      !(healthFailFile && existsSync(healthFailFile));
    res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(ready ? 'ok\n' : 'not ready\n');
    return;
  }
  if (logApiToken) console.error(`API_TOKEN for ${url.pathname}: ${process.env.API_TOKEN ?? ''}`);
  for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
  if (serveDotenv && url.pathname === '/.env') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('DATABASE_URL=postgres://example:not-a-real-password@db/hello\n');
    return;
  }
  // Hidden files (/.git/, /.env …) are never served, like any sane static server.
  if (url.pathname.startsWith('/.')) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  const answer = () => {
    if ((errorRate > 0 && Math.random() < errorRate) || (failFile && existsSync(failFile))) {
      if (failFile) console.error(`ERROR injected failure for ${req.method} ${url.pathname}`);
      // Named like every answer, so that a load test can tell which release failed.
      res.writeHead(500, { 'content-type': 'text/plain', 'x-release': release });
      res.end('injected error\n');
      return;
    }
    if (url.pathname === '/api/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Says whether a secret arrived, never its value.
      res.end(
        JSON.stringify({
          release,
          build: build.version,
          pid: process.pid,
          requests,
          hasApiToken: Boolean(process.env.API_TOKEN),
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-release': release });
    res.end(`${greeting} from ${build.app} ${release} (pid ${process.pid})\n`);
  };
  if (extraLatencyMs > 0) setTimeout(answer, extraLatencyMs);
  else answer();
});

server.keepAliveTimeout = 5000;
// In a container the published port reaches the container's own address, not its loopback: HOST=0.0.0.0 there.
const host = process.env.HOST ?? '127.0.0.1';
server.listen(port, host, () => {
  console.log(`${build.app} ${release} listening on ${host}:${port}`);
  if (logApiToken) console.log(`API_TOKEN at start: ${process.env.API_TOKEN ?? ''}`);
});

// Graceful stop: finish in-flight requests, then exit.
process.on('SIGTERM', () => {
  console.log(`${release} stopping`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5000).unref();
});
