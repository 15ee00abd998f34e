import type { HealthCheckSpec } from '../agent/protocol.js';
import { describe, expect, it } from 'vitest';
import { checkHealthOnce, waitUntilHealthy } from './health-check.js';
import { REFUSED_PORT, signal, startBackend, useCleanup } from './test-backends.js';

const cleanup = useCleanup();
const alive = () => ({ alive: true });
const fastSpec: HealthCheckSpec = {
  path: '/healthz',
  intervalMs: 10,
  timeoutMs: 1_000,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
};

/** Answers 503 for the first `failures` checks, then 200; records the paths it was asked for. */
async function startFlippingApp(failures: number) {
  const paths: string[] = [];
  const backend = await startBackend((req, res) => {
    paths.push(req.url ?? '');
    res.statusCode = paths.length <= failures ? 503 : 200;
    res.end();
  });
  cleanup(backend.close);
  return { ...backend, paths };
}

describe('checkHealthOnce', () => {
  it('is ok for 2xx and 3xx and not ok for 5xx, with the status', async () => {
    const statuses = [204, 302, 503];
    const backend = await startBackend((_req, res) => {
      res.statusCode = statuses.shift() ?? 500;
      res.end();
    });
    cleanup(backend.close);
    const opts = { path: '/healthz', timeoutMs: 1_000 };
    expect(await checkHealthOnce(backend.port, opts)).toEqual({ ok: true, status: 204 });
    expect(await checkHealthOnce(backend.port, opts)).toEqual({ ok: true, status: 302 });
    expect(await checkHealthOnce(backend.port, opts)).toEqual({
      ok: false,
      status: 503,
      error: 'GET /healthz answered 503',
    });
  });

  it('says nothing listens when the port is closed', async () => {
    const port = REFUSED_PORT;
    expect(await checkHealthOnce(port, { path: '/healthz', timeoutMs: 1_000 })).toEqual({
      ok: false,
      error: `nothing listens on 127.0.0.1:${port} (connection refused)`,
    });
  });

  it('fails with a timeout when the app does not answer', async () => {
    const backend = await startBackend(() => undefined);
    cleanup(backend.close);
    const result = await checkHealthOnce(backend.port, { path: '/slow', timeoutMs: 30 });
    expect(result.ok).toBe(false);
    expect(result.error).toBe('GET /slow got no answer within 30ms');
  });
});

describe('waitUntilHealthy', () => {
  it('waits through failures until healthyThreshold checks pass in a row', async () => {
    const app = await startFlippingApp(3);
    const outcome = await waitUntilHealthy({
      port: app.port,
      spec: fastSpec,
      timeoutMs: 30_000,
      probeAlive: alive,
    });
    expect(outcome).toEqual({ healthy: true, checks: 5 });
    expect(app.paths).toEqual(Array(5).fill('/healthz'));
  });

  it('gives up at the timeout with the last failure as the reason', async () => {
    const app = await startFlippingApp(Number.POSITIVE_INFINITY);
    const outcome = await waitUntilHealthy({
      port: app.port,
      spec: fastSpec,
      timeoutMs: 300,
      probeAlive: alive,
    });
    expect(outcome.healthy).toBe(false);
    expect(outcome.reason).toBe('not healthy within 300ms; last check: GET /healthz answered 503');
    expect(outcome.checks).toBeGreaterThan(0);
  });

  it('stops at once with the exit reason when the process dies', async () => {
    const port = REFUSED_PORT;
    let probes = 0;
    const outcome = await waitUntilHealthy({
      port,
      spec: fastSpec,
      timeoutMs: 30_000,
      probeAlive: () =>
        ++probes < 3 ? { alive: true } : { alive: false, reason: 'the target process exited with code 1' },
    });
    expect(outcome).toEqual({ healthy: false, reason: 'the target process exited with code 1', checks: 1 });
  });

  it('reports a refused connection after the timeout when nothing ever listens', async () => {
    const port = REFUSED_PORT;
    const outcome = await waitUntilHealthy({ port, spec: fastSpec, timeoutMs: 60, probeAlive: alive });
    expect(outcome.healthy).toBe(false);
    expect(outcome.reason).toMatch(/connection refused/);
  });

  it('ends with "cancelled" when its signal aborts', async () => {
    const checked = signal();
    const backend = await startBackend((_req, res) => {
      checked.resolve();
      res.statusCode = 503;
      res.end();
    });
    cleanup(backend.close);
    const controller = new AbortController();
    const spec = { ...fastSpec, intervalMs: 60_000 };
    const waiting = waitUntilHealthy({
      port: backend.port,
      spec,
      timeoutMs: 120_000,
      probeAlive: alive,
      signal: controller.signal,
    });
    await checked.promise;
    controller.abort();
    expect(await waiting).toEqual({ healthy: false, reason: 'cancelled', checks: 1 });
  });
});
