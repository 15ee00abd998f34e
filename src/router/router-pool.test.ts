import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Agent, Pool, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { HealthCheckSpec, PoolMemberStatus } from '../agent/protocol.js';
import type { HealthChange } from './health-monitor.js';
import { Router } from './router.js';
import { REFUSED_PORT, signal, startBackend, useCleanup } from './test-backends.js';

const client = new Agent({ keepAliveTimeout: 10_000 });
afterAll(() => client.close());
const cleanup = useCleanup();

const quickChecks: HealthCheckSpec = {
  path: '/healthz',
  intervalMs: 20,
  timeoutMs: 500,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
};
/** Checks that do not run during a short test: membership and enabled flags alone decide. */
const idleChecks: HealthCheckSpec = { ...quickChecks, intervalMs: 60_000 };

/** A backend standing in for an app host's router: answers its name (and 200 on the health path). */
async function startHost(name: string) {
  const backend = await startBackend((_req, res) => res.end(name));
  cleanup(backend.close);
  return backend;
}

/** A backend on a given port (a host that comes back at its old address). */
async function listenOn(port: number, name: string): Promise<{ close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => res.end(name));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  cleanup(close);
  return { close };
}

async function startEdge(healthCheck: HealthCheckSpec, onHealthChange?: (c: HealthChange) => void) {
  const router = await Router.listen({ port: 0, host: '127.0.0.1' });
  cleanup(() => router.close());
  router.edgePool.configure({ healthCheck, ...(onHealthChange ? { onHealthChange } : {}) });
  return router;
}

async function get(port: number, path = '/', method: 'GET' | 'POST' = 'GET') {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    method,
    dispatcher: client,
    ...(method === 'POST' ? { body: 'x' } : {}),
  });
  return { status: res.statusCode, body: await res.body.text() };
}

/** Resolves when `predicate` holds for the pool, re-checked on every health change (no sleeping). */
function poolReaches(
  router: Router,
  changes: { wait: () => Promise<void> },
  predicate: (members: PoolMemberStatus[]) => boolean,
): Promise<void> {
  return (async () => {
    while (!predicate(router.edgePool.status())) await changes.wait();
  })();
}

function healthChanges() {
  let waiters: (() => void)[] = [];
  const seen: HealthChange[] = [];
  return {
    seen,
    onChange: (c: HealthChange) => {
      seen.push(c);
      const wake = waiters;
      waiters = [];
      for (const w of wake) w();
    },
    wait: () => new Promise<void>((resolve) => waiters.push(resolve)),
  };
}

const member = (members: PoolMemberStatus[], id: string) => members.find((m) => m.id === id);

describe('Router upstream pool (edge)', () => {
  it('sends requests round-robin over the members', async () => {
    const hosts = await Promise.all(['A', 'B', 'C'].map(startHost));
    const router = await startEdge(idleChecks);
    hosts.forEach((h, i) => router.edgePool.add({ id: `host-${i}`, host: '127.0.0.1', port: h.port }));

    const bodies: string[] = [];
    for (let i = 0; i < 9; i++) bodies.push((await get(router.port)).body);

    expect(bodies).toEqual(['A', 'B', 'C', 'A', 'B', 'C', 'A', 'B', 'C']);
    expect(router.edgePool.status().map((m) => [m.id, m.enabled, m.inRotation])).toEqual([
      ['host-0', true, true],
      ['host-1', true, true],
      ['host-2', true, true],
    ]);
    expect(router.metrics().map((m) => m.requests)).toEqual([3, 3, 3]);
  });

  it('answers 503 when no member is in rotation', async () => {
    const a = await startHost('A');
    const router = await startEdge(idleChecks);
    expect(await get(router.port)).toEqual({
      status: 503,
      body: 'Service unavailable: no app host is in rotation (slipway edge router)\n',
    });
    router.edgePool.add({ id: 'a', host: '127.0.0.1', port: a.port });
    expect((await get(router.port)).body).toBe('A');
    router.edgePool.setEnabled('a', false);
    expect((await get(router.port)).status).toBe(503);
    router.edgePool.setEnabled('a', true);
    expect((await get(router.port)).body).toBe('A');
  });

  it('sends a disabled member no new requests while its slow in-flight request completes', async () => {
    const received = signal();
    const release = signal();
    const slow = await startBackend((req, res) => {
      if (req.url !== '/slow') {
        res.end('A');
        return;
      }
      received.resolve();
      void release.promise.then(() => res.end('slow answer from A'));
    });
    cleanup(slow.close);
    const b = await startHost('B');
    const router = await startEdge(idleChecks);
    router.edgePool.add({ id: 'a', host: '127.0.0.1', port: slow.port });
    router.edgePool.add({ id: 'b', host: '127.0.0.1', port: b.port });

    const pending = get(router.port, '/slow'); // the first turn is a's
    await received.promise;
    router.edgePool.setEnabled('a', false);
    const idle = router.edgePool.whenIdle('a', 10_000);
    expect(member(router.edgePool.status(), 'a')).toMatchObject({
      enabled: false,
      inRotation: false,
      inFlight: 1,
    });

    const during: string[] = [];
    for (let i = 0; i < 6; i++) during.push((await get(router.port)).body);
    expect(during).toEqual(['B', 'B', 'B', 'B', 'B', 'B']);

    release.resolve();
    expect(await pending).toEqual({ status: 200, body: 'slow answer from A' });
    expect(await idle).toEqual({ drained: true, inFlight: 0 });
    // Disabled, not removed: it comes back when enabled.
    router.edgePool.setEnabled('a', true);
    const after = new Set<string>();
    for (let i = 0; i < 4; i++) after.add((await get(router.port)).body);
    expect(after).toEqual(new Set(['A', 'B']));
  });

  it('reports a wait for a disabled member that times out, without cutting its request', async () => {
    const received = signal();
    const release = signal();
    const stuck = await startBackend((_req, res) => {
      received.resolve();
      void release.promise.then(() => res.end('late'));
    });
    cleanup(stuck.close);
    const router = await startEdge(idleChecks);
    router.edgePool.add({ id: 'a', host: '127.0.0.1', port: stuck.port });
    const pending = get(router.port);
    await received.promise;
    router.edgePool.setEnabled('a', false);
    expect(await router.edgePool.whenIdle('a', 20)).toEqual({ drained: false, inFlight: 1 });
    release.resolve();
    expect(await pending).toEqual({ status: 200, body: 'late' });
  });

  it('loses no GET when a member stops listening under load; it leaves the rotation and comes back', async () => {
    const a = await startHost('A');
    const b = await startHost('B');
    const c = await startHost('C');
    const changes = healthChanges();
    const router = await startEdge(quickChecks, changes.onChange);
    for (const [id, h] of [
      ['a', a],
      ['b', b],
      ['c', c],
    ] as const) {
      router.edgePool.add({ id, host: '127.0.0.1', port: h.port });
    }
    await poolReaches(router, changes, (ms) => ms.every((m) => m.healthy));

    const pool = new Pool(`http://127.0.0.1:${router.port}`, { connections: 4 });
    cleanup(() => pool.close());
    const answers: string[] = [];
    const failures: string[] = [];
    let stop = false;
    const waiters: { count: number; resolve: () => void }[] = [];
    const reached = (count: number) =>
      new Promise<void>((resolve) => {
        if (answers.length >= count) resolve();
        else waiters.push({ count, resolve });
      });
    const loop = async () => {
      for (let i = 0; i < 20_000 && !stop; i++) {
        try {
          const res = await pool.request({ path: `/?i=${i}`, method: 'GET' });
          const body = await res.body.text();
          if (res.statusCode !== 200) failures.push(`status ${res.statusCode}: ${body}`);
          else answers.push(body);
        } catch (err) {
          failures.push(String(err));
        }
        for (const w of waiters) if (answers.length >= w.count) w.resolve();
      }
    };
    const loops = Promise.all([loop(), loop(), loop(), loop()]);

    await reached(300);
    await b.close(); // the host's router goes away mid-traffic
    await poolReaches(router, changes, (ms) => member(ms, 'b')?.health === 'unhealthy');
    const atEjection = answers.length;
    await reached(atEjection + 300);
    const whileDown = answers.slice(atEjection);

    await listenOn(b.port, 'B'); // and comes back at its address
    await poolReaches(
      router,
      changes,
      (ms) => member(ms, 'b')?.inRotation === true && ms.every((m) => m.healthy),
    );
    const atReturn = answers.length;
    await reached(atReturn + 300);
    stop = true;
    await loops;

    expect(failures).toEqual([]);
    expect(new Set(whileDown)).toEqual(new Set(['A', 'C']));
    expect(answers.slice(atReturn)).toContain('B');
    expect(changes.seen.filter((ch) => ch.key === 'b').map((ch) => ch.health)).toEqual([
      'healthy',
      'unhealthy',
      'healthy',
    ]);
  });

  it('retries a GET on another member when one refuses connections, and does not retry a POST', async () => {
    const live = await startHost('live');
    const deadPort = REFUSED_PORT;
    const router = await startEdge(idleChecks);
    router.edgePool.add({ id: 'dead', host: '127.0.0.1', port: deadPort });
    router.edgePool.add({ id: 'live', host: '127.0.0.1', port: live.port });

    // Turn 0 is the dead member's: the GET is retried on the live one.
    expect(await get(router.port)).toEqual({ status: 200, body: 'live' });
    // The refused connection took the dead member out of rotation at once (passive health).
    expect(member(router.edgePool.status(), 'dead')).toMatchObject({
      health: 'unhealthy',
      inRotation: false,
    });

    // A member nobody checked yet is in rotation again; a POST to it is not retried (its body may be used).
    const router2 = await startEdge(idleChecks);
    router2.edgePool.add({ id: 'dead', host: '127.0.0.1', port: deadPort });
    router2.edgePool.add({ id: 'live', host: '127.0.0.1', port: live.port });
    expect((await get(router2.port, '/', 'POST')).status).toBe(502);
    expect(await get(router2.port, '/', 'POST')).toEqual({ status: 200, body: 'live' });
  });

  it('keeps the last member in rotation on a refused connection: only its health check may empty the pool', async () => {
    const deadPort = REFUSED_PORT;
    const router = await startEdge(idleChecks);
    router.edgePool.add({ id: 'only', host: '127.0.0.1', port: deadPort });
    expect((await get(router.port)).status).toBe(502);
    expect(member(router.edgePool.status(), 'only')).toMatchObject({ health: 'unknown', inRotation: true });
  });

  it('removes a member by draining it, and keeps it when it is added back meanwhile', async () => {
    const received = signal();
    const release = signal();
    const a = await startBackend((req, res) => {
      if (req.url === '/slow') {
        received.resolve();
        void release.promise.then(() => res.end('slow A'));
      } else res.end('A');
    });
    cleanup(a.close);
    const b = await startHost('B');
    const router = await startEdge(idleChecks);
    router.edgePool.add({ id: 'a', host: '127.0.0.1', port: a.port });
    router.edgePool.add({ id: 'b', host: '127.0.0.1', port: b.port });

    const pending = get(router.port, '/slow');
    await received.promise;
    const removal = router.drain('a', 10_000);
    expect(router.edgePool.status().map((m) => m.id)).toEqual(['b']);
    expect((await get(router.port)).body).toBe('B');
    router.edgePool.add({ id: 'a', host: '127.0.0.1', port: a.port });
    expect(await removal).toEqual({ drained: false, abandoned: 0, cancelled: true });
    release.resolve();
    expect((await pending).body).toBe('slow A');
    expect(router.edgePool.status().map((m) => m.id)).toEqual(['b', 'a']);

    expect(await router.drain('b', 1_000)).toEqual({ drained: true, abandoned: 0 });
    expect(router.edgePool.status().map((m) => m.id)).toEqual(['a']);
    expect(router.targetIds()).toEqual(['a']);
    expect(() => router.edgePool.add({ id: 'a', host: '127.0.0.1', port: b.port })).toThrow(/already points/);
  });
});
