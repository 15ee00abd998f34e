import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { Trip, TripwireSpec } from '../analysis/tripwire.js';
import { CanaryTripwire } from './canary-tripwire.js';
import { Router } from './router.js';
import { startBackend, useCleanup } from './test-backends.js';
import { analysisPlan } from '../plan/test-fixtures.js';

/** The analysis defaults (99%, 5xx ≤ 5% and ≤ stable + 1%, latency +20% and +10 ms). */
const SPEC: TripwireSpec = analysisPlan();

const client = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
afterAll(() => client.close());
const cleanup = useCleanup();

/** A backend that names itself; `behave` may delay or fail an answer. */
async function backend(
  name: string,
  behave: (n: number) => { delayMs?: number; status?: number } = () => ({}),
) {
  let served = 0;
  const b = await startBackend((_req, res) => {
    const { delayMs = 0, status = 200 } = behave(++served);
    const answer = (): void => {
      res.writeHead(status, { 'x-release': name, 'content-type': 'text/plain' });
      res.end(name);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  cleanup(b.close);
  return { ...b, served: () => served };
}

async function get(port: number): Promise<{ status: number; release: string }> {
  const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: client });
  await res.body.dump();
  return { status: res.statusCode, release: String(res.headers['x-release'] ?? '') };
}

/** A router with `stable` active, warmed with `stableRequests` requests so the tripwire has a baseline. */
async function routerWith(stable: number, canary: number, stableRequests: number): Promise<Router> {
  const router = await Router.listen({ port: 0, host: '127.0.0.1' });
  cleanup(() => router.close());
  router.addTarget({ id: 'stable', release: '1.0.0', port: stable });
  router.addTarget({ id: 'canary', release: '2.0.0', port: canary });
  router.setActive('stable');
  for (let i = 0; i < stableRequests; i += 10) {
    await Promise.all(Array.from({ length: 10 }, () => get(router.port)));
  }
  return router;
}

/** Sends `total` requests, `concurrency` at a time, each as a new user (no cookie). */
async function load(port: number, total: number, concurrency: number) {
  const answers: Array<{ status: number; release: string }> = [];
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < total) {
        sent++;
        answers.push(await get(port));
      }
    }),
  );
  return answers;
}

const SPLIT = { canary: 'canary', weight: 50, header: 'x-slipway-canary', cookie: 'slipway_canary' };

describe('Router tripwire (real backends)', () => {
  it('ends the split of a canary that answers 5xx after a few of its answers, and says why', async () => {
    const stable = await backend('1.0.0');
    const canary = await backend('2.0.0', (n) => ({ status: n % 2 === 0 ? 500 : 200 }));
    const router = await routerWith(stable.port, canary.port, 200);
    const trips: Trip[] = [];
    router.setSplit(SPLIT, { spec: SPEC, onTrip: (t) => trips.push(t) });

    const answers = await load(router.port, 300, 4);

    expect(trips).toHaveLength(1);
    expect(trips[0]?.condition).toBe('error-rate');
    expect(router.split).toBeNull();
    expect(router.tripwire).toBeNull();
    const canaryAnswers = answers.filter((a) => a.release === '2.0.0');
    // Evidence at 99% needs a handful of errors, never dozens: the rest went to stable.
    expect(canaryAnswers.length).toBeLessThan(40);
    expect(answers.filter((a) => a.release === '1.0.0').every((a) => a.status === 200)).toBe(true);
    // After the trip every request goes to stable.
    expect(answers.slice(-100).every((a) => a.release === '1.0.0')).toBe(true);
  });

  it('counts a request that has been in flight longer than the threshold as slow: a hanging canary trips before it answers', async () => {
    const stable = await backend('1.0.0');
    const canary = await backend('2.0.0', () => ({ delayMs: 3_000 }));
    const router = await routerWith(stable.port, canary.port, 200);
    const trips: Trip[] = [];
    router.setSplit(SPLIT, { spec: SPEC, onTrip: (t) => trips.push(t) });

    // Four users start requests the canary will sit on for 3 s (header opt-in: they surely reach it).
    const pending = Array.from({ length: 4 }, () =>
      request(`http://127.0.0.1:${router.port}/`, {
        dispatcher: client,
        headers: { 'x-slipway-canary': 'always' },
      }).then((r) => r.body.dump()),
    );
    for (let i = 0; i < 100 && trips.length === 0; i++) await sleep(20);

    expect(trips[0]?.condition).toBe('latency');
    expect(trips[0]?.measurements.tripwireThresholdMs).toBeLessThan(3_000);
    expect(canary.served()).toBe(4); // none of them had answered when it tripped
    expect(router.split).toBeNull();
    await Promise.all(pending);
  });

  it('leaves a canary that behaves like stable alone', async () => {
    const stable = await backend('1.0.0', (n) => ({ delayMs: n % 5 }));
    const canary = await backend('2.0.0', (n) => ({ delayMs: n % 5 }));
    const router = await routerWith(stable.port, canary.port, 200);
    const trips: Trip[] = [];
    router.setSplit(SPLIT, { spec: SPEC, onTrip: (t) => trips.push(t) });

    const answers = await load(router.port, 400, 4);

    expect(trips).toEqual([]);
    expect(router.split?.canary).toBe('canary');
    expect(router.tripwire?.counts.requests).toBe(answers.filter((a) => a.release === '2.0.0').length);
  });

  it('is disarmed when the split ends or the canary is promoted, and kept across weight changes', async () => {
    const stable = await backend('1.0.0');
    const canary = await backend('2.0.0');
    const router = await routerWith(stable.port, canary.port, 0);
    router.setSplit(SPLIT, { spec: SPEC, onTrip: () => undefined });
    const first = router.tripwire;
    expect(first).not.toBeNull();
    router.setSplit({ ...SPLIT, weight: 80 }, { spec: SPEC, onTrip: () => undefined });
    expect(router.tripwire).toBe(first);
    router.clearSplit();
    expect(router.tripwire).toBeNull();
    router.setSplit(SPLIT, { spec: SPEC, onTrip: () => undefined });
    router.setActive('canary');
    expect(router.tripwire).toBeNull();
  });
});

describe('CanaryTripwire bookkeeping', () => {
  const plan = {
    alpha: 0.01,
    errorRateLimit: 0.011,
    latency: { thresholdMs: 25, slowShareLimit: 0.01 },
    notes: [],
  };

  it('counts a finished slow request once, whether or not it was counted while in flight', () => {
    let now = 0;
    const trips: Trip[] = [];
    const watch = new CanaryTripwire(
      'c',
      plan,
      (t) => trips.push(t),
      () => now,
    );
    watch.onBegin();
    watch.onBegin();
    now = 30;
    watch.onEnd(200, 30); // slow, finished
    watch.onEnd(200, 30); // slow, finished
    expect(watch.counts).toMatchObject({ requests: 2, decided: 2, slow: 2 });
    expect(trips).toEqual([]); // two slow ones are below the warm-up floor
    watch.onBegin();
    now = 70;
    watch.onEnd(200, 40);
    expect(trips[0]?.condition).toBe('latency');
    watch.disarm();
  });

  it('does not count a client that left quickly, and counts one that left after the threshold as slow', () => {
    let now = 0;
    const watch = new CanaryTripwire(
      'c',
      plan,
      () => undefined,
      () => now,
    );
    watch.onBegin();
    watch.onBegin();
    now = 40;
    watch.onEnd(0, 5);
    watch.onEnd(0, 40);
    expect(watch.counts).toMatchObject({ requests: 0, decided: 1, slow: 1 });
    watch.disarm();
  });
});
