import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { HealthCheckSpec } from '../agent/protocol.js';
import { Router } from './router.js';
import { signal, startBackend, useCleanup, type Backend } from './test-backends.js';

// Several instances per host: a route's active side is a group of real backends on loopback. The tests assert
// where requests went and that none failed, never how long anything took.

const client = new Agent({ keepAliveTimeout: 10_000 });
afterAll(() => client.close());
const cleanup = useCleanup();

const checks: HealthCheckSpec = {
  path: '/healthz',
  intervalMs: 20,
  timeoutMs: 500,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
};

/** A backend that answers with its name, after `hold` resolves (default: at once). */
async function instance(
  name: string,
  hold?: (req: IncomingMessage) => Promise<void> | null,
  port = 0,
): Promise<Backend> {
  const backend = await startBackend(
    (req: IncomingMessage, res: ServerResponse) => {
      const wait = req.url === '/healthz' ? null : (hold?.(req) ?? null);
      void Promise.resolve(wait).then(() => res.end(name));
    },
    undefined,
    port,
  );
  cleanup(() => backend.close());
  return backend;
}

async function routerTo(backends: Record<string, Backend>, release = 'v1'): Promise<Router> {
  const router = await Router.listen({ port: 0, host: '127.0.0.1' });
  cleanup(() => router.close());
  for (const [id, b] of Object.entries(backends)) router.addTarget({ id, release, port: b.port });
  router.setActiveGroup(Object.keys(backends), checks);
  return router;
}

async function get(router: Router, path = '/'): Promise<{ status: number; body: string }> {
  const res = await request(`http://127.0.0.1:${router.port}${path}`, { dispatcher: client });
  return { status: res.statusCode, body: await res.body.text() };
}

/** `total` GETs, `concurrency` at a time; what answered each. */
async function load(router: Router, total: number, concurrency: number): Promise<string[]> {
  const bodies: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const { status, body } = await get(router);
        bodies.push(status === 200 ? body : `status ${status}`);
      }
    }),
  );
  return bodies;
}

const count = (bodies: string[], name: string) => bodies.filter((b) => b === name).length;

describe('a route to a group of instances', () => {
  it('spreads requests across every instance', async () => {
    const router = await routerTo({
      a: await instance('a'),
      b: await instance('b'),
      c: await instance('c'),
    });
    const bodies = await load(router, 90, 6);
    expect(bodies).toHaveLength(90);
    for (const name of ['a', 'b', 'c']) expect(count(bodies, name)).toBeGreaterThan(0);
    expect(bodies.filter((b) => !['a', 'b', 'c'].includes(b))).toEqual([]);
  });

  it('sends nothing new to the instance with a request outstanding while the others are idle', async () => {
    const held = signal();
    const arrived = signal<string>();
    const holdSlow = (name: string) => (req: IncomingMessage) =>
      req.url === '/slow' ? (arrived.resolve(name), held.promise) : null;
    const router = await routerTo({
      a: await instance('a', holdSlow('a')),
      b: await instance('b', holdSlow('b')),
      c: await instance('c', holdSlow('c')),
    });
    const slow = get(router, '/slow');
    const busy = await arrived.promise;
    const bodies: string[] = [];
    for (let i = 0; i < 12; i++) bodies.push((await get(router)).body);
    expect(count(bodies, busy)).toBe(0);
    for (const idle of ['a', 'b', 'c'].filter((n) => n !== busy))
      expect(count(bodies, idle)).toBeGreaterThan(0);
    held.resolve();
    expect((await slow).body).toBe(busy);
  });

  it('switches all of them together and drains every old instance', async () => {
    const held = signal();
    const arrived = signal();
    const router = await routerTo({
      old1: await instance('old1', () => (arrived.resolve(), held.promise)),
      old2: await instance('old2', () => (arrived.resolve(), held.promise)),
    });
    const inFlight = get(router);
    await arrived.promise;
    for (const [id, name] of [
      ['new1', 'new1'],
      ['new2', 'new2'],
      ['new3', 'new3'],
    ] as const)
      router.addTarget({ id, release: 'v2', port: (await instance(name)).port });
    const previous = router.setActiveGroup(['new1', 'new2', 'new3'], checks);
    expect(previous).toEqual(['old1', 'old2']);
    expect(router.activeMembers()).toEqual(['new1', 'new2', 'new3']);
    await expect(router.drain('new2', 100)).rejects.toThrow(/active target/);
    const drains = previous.map((id) => router.drain(id, 5_000));
    const after = await load(router, 30, 3);
    expect(new Set(after)).toEqual(new Set(['new1', 'new2', 'new3']));
    held.resolve();
    expect(['old1', 'old2']).toContain((await inFlight).body);
    expect(await Promise.all(drains)).toEqual([
      { drained: true, abandoned: 0 },
      { drained: true, abandoned: 0 },
    ]);
    expect(router.targetIds().sort()).toEqual(['new1', 'new2', 'new3']);
  });

  it('one instance killed: its share moves to the others with no failed GET, and it is back once it passes', async () => {
    const b = await instance('b');
    const router = await routerTo({ a: await instance('a'), b, c: await instance('c') });
    const before = await load(router, 30, 3);
    expect(count(before, 'b')).toBeGreaterThan(0);

    const during = load(router, 200, 4);
    await b.close(); // kept-alive connections cut, new ones refused
    const bodies = await during;
    expect(bodies.filter((x) => !['a', 'b', 'c'].includes(x))).toEqual([]);
    const out = router.groupStatus().find((m) => m.id === 'b');
    expect(out).toMatchObject({ health: 'unhealthy', inRotation: false });
    const afterKill = await load(router, 30, 3);
    expect(count(afterKill, 'b')).toBe(0);

    // The agent restarts it on its port: two passing checks and it is in rotation again.
    await instance('b', undefined, b.port);
    while (router.groupStatus().find((m) => m.id === 'b')?.inRotation !== true)
      await new Promise((r) => setTimeout(r, 20));
    expect(count(await load(router, 30, 3), 'b')).toBeGreaterThan(0);
  });

  it('refuses a group with an unknown member, changing nothing', async () => {
    const router = await routerTo({ a: await instance('a'), b: await instance('b') });
    router.addTarget({ id: 'c', release: 'v2', port: (await instance('c')).port });
    expect(() => router.setActiveGroup(['c', 'ghost'], checks)).toThrow(/unknown target ghost/);
    expect(router.activeMembers()).toEqual(['a', 'b']);
  });

  it('a switch to a single target ends the group', async () => {
    const router = await routerTo({ a: await instance('a'), b: await instance('b') });
    router.addTarget({ id: 'solo', release: 'v2', port: (await instance('solo')).port });
    router.setActive('solo');
    expect(router.activeMembers()).toEqual(['solo']);
    expect(router.groupStatus()).toEqual([]);
    expect(new Set(await load(router, 10, 2))).toEqual(new Set(['solo']));
  });
});
