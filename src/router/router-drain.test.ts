import { Agent, Pool, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import { Router } from './router.js';
import { signal, startBackend, useCleanup } from './test-backends.js';

const client = new Agent({ keepAliveTimeout: 10_000 });
afterAll(() => client.close());
const cleanup = useCleanup();

async function startRouter(): Promise<Router> {
  const router = await Router.listen({ port: 0, host: '127.0.0.1' });
  cleanup(() => router.close());
  return router;
}

async function startNamedBackend(name: string) {
  const backend = await startBackend((_req, res) => res.end(name));
  cleanup(backend.close);
  return backend;
}

describe('Router swap then drain', () => {
  it('switches from A to B under load with zero failed requests', async () => {
    const a = await startNamedBackend('A');
    const b = await startNamedBackend('B');
    const router = await startRouter();
    router.addTarget({ id: 'a', release: 'v1', port: a.port });
    router.setActive('a');

    // Four keep-alive clients in a loop; each records what answered and whether it started after the switch.
    const pool = new Pool(`http://127.0.0.1:${router.port}`, { connections: 4 });
    cleanup(() => pool.close());
    const answers: { body: string; afterSwitch: boolean }[] = [];
    const failures: string[] = [];
    let switched = false;
    let stop = false;
    const waiters: { count: number; resolve: () => void }[] = [];
    const reached = (count: number) =>
      new Promise<void>((resolve) => {
        if (answers.length >= count) resolve();
        else waiters.push({ count, resolve });
      });
    const loop = async () => {
      for (let i = 0; i < 5_000 && !stop; i++) {
        const afterSwitch = switched;
        try {
          const res = await pool.request({ path: `/?i=${i}`, method: 'GET' });
          const body = await res.body.text();
          if (res.statusCode !== 200) failures.push(`status ${res.statusCode}`);
          answers.push({ body, afterSwitch });
        } catch (err) {
          failures.push(String(err));
        }
        for (const w of waiters) if (answers.length >= w.count) w.resolve();
      }
    };
    const loops = Promise.all([loop(), loop(), loop(), loop()]);

    await reached(200);
    router.addTarget({ id: 'b', release: 'v2', port: b.port });
    expect(router.setActive('b')).toBe('a');
    switched = true;
    const drainResult = await router.drain('a', 5_000);
    await a.close();
    const atDrain = answers.length;
    await reached(atDrain + 200);
    stop = true;
    await loops;

    expect(failures).toEqual([]);
    expect(drainResult).toEqual({ drained: true, abandoned: 0 });
    expect(new Set(answers.map((x) => x.body))).toEqual(new Set(['A', 'B']));
    expect(answers.filter((x) => x.afterSwitch && x.body !== 'B')).toEqual([]);
    expect(answers.filter((x) => x.afterSwitch).length).toBeGreaterThanOrEqual(200);
    expect(router.targetIds()).toEqual(['b']);
    expect(router.metrics().map((m) => m.targetId)).toEqual(['b']);
  });

  it('waits for a slow in-flight request before removing the old target', async () => {
    const received = signal();
    const slow = await startBackend((_req, res) => {
      received.resolve();
      setTimeout(() => res.end('slow answer'), 300);
    });
    cleanup(slow.close);
    const next = await startNamedBackend('next');
    const router = await startRouter();
    router.addTarget({ id: 'old', release: 'v1', port: slow.port });
    router.setActive('old');

    const pending = request(`http://127.0.0.1:${router.port}/report`, { dispatcher: client });
    await received.promise;
    router.addTarget({ id: 'new', release: 'v2', port: next.port });
    router.setActive('new');
    expect(router.metrics().find((m) => m.targetId === 'old')?.inFlight).toBe(1);

    const drained = router.drain('old', 10_000);
    expect(router.drainingIds()).toEqual(['old']);
    const res = await pending;
    expect(await res.body.text()).toBe('slow answer');
    expect(await drained).toEqual({ drained: true, abandoned: 0 });
    expect(router.targetIds()).toEqual(['new']);
    expect(router.drainingIds()).toEqual([]);
  });

  it('gives up at the timeout, reports the abandoned request and removes the target', async () => {
    const received = signal();
    const stuck = await startBackend(() => received.resolve()); // never answers
    cleanup(stuck.close);
    const next = await startNamedBackend('next');
    const router = await startRouter();
    router.addTarget({ id: 'stuck', release: 'v1', port: stuck.port });
    router.setActive('stuck');

    const pending = request(`http://127.0.0.1:${router.port}/`, { dispatcher: client });
    await received.promise;
    router.addTarget({ id: 'new', release: 'v2', port: next.port });
    router.setActive('new');

    expect(await router.drain('stuck', 50)).toEqual({ drained: false, abandoned: 1 });
    expect(router.targetIds()).toEqual(['new']);
    const res = await pending;
    expect(res.statusCode).toBe(502);
    await res.body.dump();
  });

  it('keeps a target that becomes active again during its drain (rollback)', async () => {
    const received = signal();
    let release = (): void => undefined;
    const held = await startBackend((_req, res) => {
      received.resolve();
      release = () => res.end('held');
    });
    cleanup(held.close);
    const next = await startNamedBackend('next');
    const router = await startRouter();
    router.addTarget({ id: 'v1', release: 'v1', port: held.port });
    router.setActive('v1');
    const pending = request(`http://127.0.0.1:${router.port}/`, { dispatcher: client });
    await received.promise;
    router.addTarget({ id: 'v2', release: 'v2', port: next.port });
    router.setActive('v2');

    const drain = router.drain('v1', 10_000);
    const joined = router.drain('v1', 10_000);
    router.setActive('v1');
    expect(await drain).toEqual({ drained: false, abandoned: 0, cancelled: true });
    expect(await joined).toEqual({ drained: false, abandoned: 0, cancelled: true });
    expect(router.targetIds().sort()).toEqual(['v1', 'v2']);
    release();
    expect(await (await pending).body.text()).toBe('held');
  });

  it('refuses to drain the active target and drains an unknown one at once', async () => {
    const router = await startRouter();
    router.addTarget({ id: 'a', release: 'v1', port: 1 });
    router.setActive('a');
    await expect(router.drain('a', 1_000)).rejects.toThrow(SlipwayError);
    expect(await router.drain('gone', 1_000)).toEqual({ drained: true, abandoned: 0 });
    expect(router.targetIds()).toEqual(['a']);
  });
});
