import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { EdgeFailoverSpec, HealthCheckSpec, PoolMemberStatus } from '../agent/protocol.js';
import type { PoolMemberEvent } from './edge-pool.js';
import type { HealthChange } from './health-monitor.js';
import { Router } from './router.js';
import { freePort, signal, startBackend, startSilentHost, useCleanup } from './test-backends.js';

// Real sockets on loopback throughout: a raw TCP server that reads requests and never answers stands in for a
// host whose link is cut. No test here asserts a duration; they assert where requests went, how often, and the
// members' states.

const client = new Agent({ keepAliveTimeout: 10_000 });
afterAll(() => client.close());
const cleanup = useCleanup();

/** Checks that do not run during a test: whatever happens, the edge's own requests did it. */
const idleChecks: HealthCheckSpec = {
  path: '/healthz',
  intervalMs: 60_000,
  timeoutMs: 500,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
};
const quickChecks: HealthCheckSpec = { ...idleChecks, intervalMs: 20, timeoutMs: 200 };

/** Short bounds, so that the tests are quick; the decisions are the same as with the defaults. */
const failover: EdgeFailoverSpec = {
  connectTimeoutMs: 1_000,
  answerTimeoutMinMs: 100,
  answerTimeoutMaxMs: 2_000,
  retryBudget: 0.2,
  ejectAfter: 3,
};

function recorder() {
  const health: HealthChange[] = [];
  const events: PoolMemberEvent[] = [];
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  };
  return {
    health,
    events,
    onHealthChange: (c: HealthChange) => {
      health.push(c);
      wake();
    },
    onMemberEvent: (e: PoolMemberEvent) => {
      events.push(e);
      wake();
    },
    wait: () => new Promise<void>((resolve) => waiters.push(resolve)),
  };
}

async function startEdge(healthCheck: HealthCheckSpec, spec: EdgeFailoverSpec = failover) {
  const seen = recorder();
  const router = await Router.listen({ port: 0, host: '127.0.0.1' });
  cleanup(() => router.close());
  router.edgePool.configure({
    healthCheck,
    failover: spec,
    onHealthChange: seen.onHealthChange,
    onMemberEvent: seen.onMemberEvent,
  });
  /** Resolves once `predicate` holds for the pool, re-checked after every change. */
  const reaches = async (predicate: (members: PoolMemberStatus[]) => boolean): Promise<void> => {
    while (!predicate(router.edgePool.status())) await seen.wait();
  };
  return { router, seen, reaches };
}

/** A host that answers its name and counts what it got, by path. */
async function startHost(name: string, handle?: (req: IncomingMessage, answer: () => void) => void) {
  const got: string[] = [];
  const backend = await startBackend((req, res) => {
    if (req.url !== '/healthz') got.push(`${req.method} ${req.url}`);
    const answer = () => res.end(name);
    if (handle && req.url !== '/healthz') handle(req, answer);
    else answer();
  });
  cleanup(backend.close);
  return { ...backend, got, count: (what: string) => got.filter((g) => g === what).length };
}

async function send(port: number, path: string, method: 'GET' | 'POST' = 'GET') {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    method,
    dispatcher: client,
    ...(method === 'POST' ? { body: 'order=1' } : {}),
  });
  return { status: res.statusCode, body: await res.body.text() };
}

const member = (members: PoolMemberStatus[], id: string) => members.find((m) => m.id === id);

describe('Edge failover: a host whose link is cut', () => {
  it('moves each GET on to another member once, and ejects the silent member without waiting for checks', async () => {
    const silent = await startSilentHost();
    cleanup(silent.close);
    const live = await startHost('live');
    const { router, seen } = await startEdge(idleChecks);
    router.edgePool.add({ id: 'silent', host: '127.0.0.1', port: silent.port });
    router.edgePool.add({ id: 'live', host: '127.0.0.1', port: live.port });

    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await send(router.port, `/r${i}`));

    expect(answers.every((a) => a.status === 200 && a.body === 'live')).toBe(true);
    for (let i = 0; i < 8; i++) {
      // Each request reached the live member once, and the silent one at most once: at most one retry.
      expect(live.count(`GET /r${i}`)).toBe(1);
      expect(silent.count('GET', `/r${i}`)).toBeLessThanOrEqual(1);
    }
    // Three timeouts in a row ejected it; no check ever ran (they are 60 s apart), and nothing went there since.
    expect(silent.seen.map((r) => r.path)).toEqual(['/r0', '/r1', '/r2']);
    expect(member(router.edgePool.status(), 'silent')).toMatchObject({
      inRotation: false,
      health: 'unhealthy',
      ejected: { cause: 'timeouts' },
    });
    expect(seen.events.map((e) => [e.kind, e.member])).toEqual([['ejected', 'silent']]);
  });

  it('answers a POST to a silent member 502 after the bound and cap, having sent it exactly once', async () => {
    const silent = await startSilentHost();
    cleanup(silent.close);
    const live = await startHost('live');
    const { router } = await startEdge(idleChecks, { ...failover, answerTimeoutMaxMs: 300 });
    router.edgePool.add({ id: 'silent', host: '127.0.0.1', port: silent.port });
    router.edgePool.add({ id: 'live', host: '127.0.0.1', port: live.port });

    const answer = await send(router.port, '/orders', 'POST');

    expect(answer.status).toBe(502);
    expect(silent.count('POST', '/orders')).toBe(1);
    expect(live.count('POST /orders')).toBe(0);
    expect(router.metrics().find((m) => m.targetId === 'silent')).toMatchObject({
      proxyErrors: 1,
      inFlight: 0,
    });
  });

  it('sends a GET to two members at most: when both are silent it is a 502', async () => {
    const a = await startSilentHost();
    const b = await startSilentHost();
    cleanup(a.close);
    cleanup(b.close);
    const { router } = await startEdge(idleChecks, { ...failover, answerTimeoutMaxMs: 300 });
    router.edgePool.add({ id: 'a', host: '127.0.0.1', port: a.port });
    router.edgePool.add({ id: 'b', host: '127.0.0.1', port: b.port });

    expect((await send(router.port, '/x')).status).toBe(502);
    expect([a.count('GET', '/x'), b.count('GET', '/x')]).toEqual([1, 1]);
  });

  it('never lets the first attempt answer once the request moved on', async () => {
    const aborted = signal();
    // A slow first member: it answers 400 ms after the request came, well past its 100 ms bound.
    const slow = await startHost('slow', (req, answer) => {
      req.socket.once('close', () => aborted.resolve());
      setTimeout(answer, 400);
    });
    const live = await startHost('live');
    const { router } = await startEdge(idleChecks);
    router.edgePool.add({ id: 'slow', host: '127.0.0.1', port: slow.port });
    router.edgePool.add({ id: 'live', host: '127.0.0.1', port: live.port });

    expect(await send(router.port, '/report')).toEqual({ status: 200, body: 'live' });
    await aborted.promise; // the first attempt's connection was cut when the request moved on
    expect([slow.count('GET /report'), live.count('GET /report')]).toEqual([1, 1]);
  });

  it('moves requests waiting on a member on at once when its checks eject it', async () => {
    let healthy = true;
    const received = signal();
    const stuck = await startBackend((req, res) => {
      if (req.url === '/healthz') {
        res.statusCode = healthy ? 200 : 503;
        res.end();
      } else received.resolve(); // and never answered
    });
    cleanup(stuck.close);
    const live = await startHost('live');
    // A bound far beyond the test: only the ejection can move the request.
    const { router, reaches } = await startEdge(quickChecks, {
      ...failover,
      answerTimeoutMinMs: 50_000,
      answerTimeoutMaxMs: 60_000,
    });
    router.edgePool.add({ id: 'stuck', host: '127.0.0.1', port: stuck.port });
    await reaches((ms) => member(ms, 'stuck')?.health === 'healthy');
    const pending = send(router.port, '/waiting');
    await received.promise;
    router.edgePool.add({ id: 'live', host: '127.0.0.1', port: live.port });

    healthy = false;
    await reaches((ms) => member(ms, 'stuck')?.inRotation === false);
    // Moved on in the same turn as the ejection, not after some timeout.
    expect(member(router.edgePool.status(), 'stuck')).toMatchObject({
      inFlight: 0,
      ejected: { cause: 'failed-checks', detail: 'GET /healthz answered 503' },
    });
    expect(await pending).toEqual({ status: 200, body: 'live' });
  });
});

describe('Edge failover: slow members and the retry budget', () => {
  it('leaves a member that answers slowly but within its bound alone', async () => {
    const slow = await startHost('slow', (_req, answer) => setTimeout(answer, 30));
    const live = await startHost('live');
    const { router } = await startEdge(idleChecks, { ...failover, answerTimeoutMinMs: 1_000 });
    router.edgePool.add({ id: 'slow', host: '127.0.0.1', port: slow.port });
    router.edgePool.add({ id: 'live', host: '127.0.0.1', port: live.port });

    const bodies = [];
    for (let i = 0; i < 6; i++) bodies.push((await send(router.port, `/p${i}`)).body);

    expect(bodies).toEqual(['slow', 'live', 'slow', 'live', 'slow', 'live']);
    expect(slow.got.length + live.got.length).toBe(6); // no request was sent twice
    expect(member(router.edgePool.status(), 'slow')).toMatchObject({ inRotation: true, ejected: null });
  });

  it('retries away from a slow member past its bound only within its budget', async () => {
    // 300 ms for every answer: past the 100 ms bound each time, and nothing else answers meanwhile.
    const sluggish = await startHost('sluggish', (_req, answer) => setTimeout(answer, 300));
    const live = await startHost('live');
    const { router } = await startEdge(idleChecks, { ...failover, ejectAfter: 100 });
    router.edgePool.add({ id: 'sluggish', host: '127.0.0.1', port: sluggish.port });
    router.edgePool.add({ id: 'live', host: '127.0.0.1', port: live.port });

    const answers = [];
    for (let i = 0; i < 16; i++) answers.push(await send(router.port, `/q${i}`));

    expect(answers.every((a) => a.status === 200)).toBe(true);
    const paths = Array.from({ length: 16 }, (_, i) => `GET /q${i}`);
    const retried = paths.filter((p) => sluggish.count(p) === 1 && live.count(p) === 1).length;
    expect(paths.every((p) => sluggish.count(p) + live.count(p) <= 2)).toBe(true);
    // The budget: at least 3 retries in a window, else 20% of the member's requests; never more.
    expect(retried).toBeGreaterThanOrEqual(3);
    expect(retried).toBeLessThanOrEqual(Math.max(3, Math.floor(0.2 * sluggish.got.length)));
    expect(member(router.edgePool.status(), 'sluggish')?.inRotation).toBe(true);
  });
});

describe('Edge failover: members come back by themselves', () => {
  it('re-admits a member ejected for timeouts once its checks pass, with no command', async () => {
    const host = await startSilentHost();
    cleanup(host.close);
    const live = await startHost('live');
    // Checks that never eject by themselves here (50 failures): the edge's own requests eject.
    const { router, seen, reaches } = await startEdge({ ...quickChecks, unhealthyThreshold: 50 });
    router.edgePool.add({ id: 'cut', host: '127.0.0.1', port: host.port });
    router.edgePool.add({ id: 'live', host: '127.0.0.1', port: live.port });

    for (let i = 0; i < 3; i++) expect((await send(router.port, `/before${i}`)).body).toBe('live');
    expect(member(router.edgePool.status(), 'cut')).toMatchObject({
      inRotation: false,
      ejected: { cause: 'timeouts' },
    });

    host.answer('back'); // the link is back
    await reaches((ms) => member(ms, 'cut')?.inRotation === true);
    expect(member(router.edgePool.status(), 'cut')).toMatchObject({ health: 'healthy', ejected: null });
    expect(
      seen.events.map((e) => `${e.kind} ${e.member}${e.kind === 'readmitted' ? ` ${e.how}` : ''}`),
    ).toEqual(['ejected cut', 'readmitted cut passed-checks']);
    const after = new Set<string>();
    for (let i = 0; i < 4; i++) after.add((await send(router.port, `/after${i}`)).body);
    expect(after).toEqual(new Set(['back', 'live']));
  });

  it('ejects a refusing member at its first refusal, says why, and takes it back when it listens again', async () => {
    const port = await freePort();
    const live = await startHost('live');
    // Refused checks fail fast: 50 of them in a row before the checks would eject it themselves.
    const { router, seen, reaches } = await startEdge({ ...quickChecks, unhealthyThreshold: 50 });
    router.edgePool.add({ id: 'gone', host: '127.0.0.1', port });
    router.edgePool.add({ id: 'live', host: '127.0.0.1', port: live.port });

    expect(await send(router.port, '/')).toEqual({ status: 200, body: 'live' });
    expect(member(router.edgePool.status(), 'gone')?.ejected).toMatchObject({
      cause: 'refused',
      detail: `127.0.0.1:${port} refused the connection`,
    });

    const again = await startBackend((_req, res) => res.end('back'), undefined, port); // listens again
    cleanup(again.close);
    await reaches((ms) => member(ms, 'gone')?.inRotation === true);
    expect(seen.events.map((e) => e.kind)).toEqual(['ejected', 'readmitted']);
  });

  it("checks each member on its own schedule: a member whose checks hang delays no other member's", async () => {
    const hanging = await startSilentHost();
    cleanup(hanging.close);
    let liveChecks = 0;
    const threeChecks = signal();
    const live = await startBackend((_req, res) => {
      if (++liveChecks === 3) threeChecks.resolve();
      res.end();
    });
    cleanup(live.close);
    const { router } = await startEdge({ ...quickChecks, timeoutMs: 5_000 });
    router.edgePool.add({ id: 'hanging', host: '127.0.0.1', port: hanging.port });
    router.edgePool.add({ id: 'live', host: '127.0.0.1', port: live.port });

    await threeChecks.promise;
    // The hanging member's first check is still waiting for its answer.
    expect(hanging.count('GET', '/healthz')).toBe(1);
    expect(hanging.openConnections()).toBe(1);
  });
});
