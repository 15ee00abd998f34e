import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CanaryTripReport, TargetMetrics } from '../agent/protocol.js';
import { systemClock } from '../core/clock.js';
import type { Host } from '../hosts/host.js';
import type { CanaryWatch } from '../plan/steps.js';
import { analysisPlan } from '../plan/test-fixtures.js';
import type { Store } from '../store/index.js';
import { useTempStores } from '../store/test-fixtures.js';
import { CanaryController, type CanaryControllerOptions } from './canary-controller.js';
import { requestSignal, SignalWatcher } from './deployment-signals.js';

// The controller's decisions against a real SQLite ledger, with a fake host whose agent answers scripted router
// counters (the judge itself is table-tested in src/analysis; the integration tests drive real routers).

const stores = useTempStores();
const SCOPE = { app: 'hello', environment: 'production', deploymentId: 'dctl000abc123' };
const BOUNDS = [10, 50, 250];

const ANALYSIS = analysisPlan({ intervalMs: 200, minRequests: 20, confidence: 0.95, tripwire: false });

const WATCH: CanaryWatch = {
  app: 'hello',
  hosts: ['local'],
  canary: { release: '2.0.0', targetId: 'hello-2.0.0-new' },
  stable: { release: '1.0.0', targetId: 'hello-1.0.0-old' },
  publicPort: 8420,
  header: 'X-Slipway-Canary',
  analysis: ANALYSIS,
};

function counters(release: string, targetId: string, requests: number, errors5xx: number): TargetMetrics {
  return {
    targetId,
    release,
    requests,
    errors5xx,
    proxyErrors: 0,
    inFlight: 0,
    latency: { boundsMs: BOUNDS, counts: [requests, 0, 0, 0] },
  };
}

/** What the fake agent's routers have counted so far; tests move it forward. */
interface Traffic {
  canary: { requests: number; errors: number };
  stable: { requests: number; errors: number };
  trips: CanaryTripReport[];
}

function fakeHost(traffic: Traffic, calls: string[], watch: CanaryWatch): Host {
  const { canary, stable } = watch;
  const agent = {
    call: (method: string) => {
      calls.push(method);
      return Promise.resolve({
        targets: [
          counters(canary.release, canary.targetId, traffic.canary.requests, traffic.canary.errors),
          counters(stable.release, stable.targetId, traffic.stable.requests, traffic.stable.errors),
        ],
        trips: traffic.trips,
      });
    },
  };
  return { name: 'local', agent: () => Promise.resolve(agent) } as unknown as Host;
}

interface Harness {
  store: Store;
  controller: CanaryController;
  traffic: Traffic;
  calls: string[];
  failures: string[];
  verdicts(): Promise<Array<{ result: string; message: string }>>;
  events(kind: string): Promise<Array<{ message: string; data: unknown }>>;
  signal(kind: 'promote' | 'abort', actor?: string): Promise<void>;
}

const running: CanaryController[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

async function harness(
  options: CanaryControllerOptions = {},
  consumed: number[] = [],
  watch: CanaryWatch = WATCH,
): Promise<Harness> {
  const store = await stores.open();
  const traffic: Traffic = {
    canary: { requests: 0, errors: 0 },
    stable: { requests: 0, errors: 0 },
    trips: [],
  };
  const calls: string[] = [];
  const failures: string[] = [];
  const controller = new CanaryController(
    watch,
    new Map([['local', fakeHost(traffic, calls, watch)]]),
    new SignalWatcher(store, SCOPE, 20, consumed),
    store,
    systemClock,
    { actor: 'tester', environment: SCOPE.environment, deploymentId: SCOPE.deploymentId },
    options,
  );
  running.push(controller);
  controller.start((reason) => failures.push(reason));
  const events = async (kind: string) =>
    (await store.listEvents({ app: 'hello', kinds: [kind], limit: 100 })).reverse();
  return {
    store,
    controller,
    traffic,
    calls,
    failures,
    events,
    verdicts: async () =>
      (await events('canary.verdict')).map((e) => ({
        result: (e.data as { result: string }).result,
        message: e.message,
      })),
    signal: (kind, actor = 'alice') =>
      requestSignal(store, systemClock, { ...SCOPE, release: '2.0.0', kind, actor }),
  };
}

/** The promotion wait (the gate when `gate`), collecting what it notes; `abort` ends it as an interrupt would. */
function promotion(h: Harness, gate = true, abort = new AbortController().signal, notes: string[] = []) {
  return h.controller.waitForPromotion(abort, (d) => Promise.resolve(void notes.push(d)), gate);
}

/** Waits until the controller ledgered that it waits for promote, then interrupts the wait. */
async function expectWaitingThenInterrupt(h: Harness, gate: boolean): Promise<void> {
  const waiting = new AbortController();
  const wait = promotion(h, gate, waiting.signal);
  await vi.waitFor(async () => expect(await h.events('canary.inconclusive')).toHaveLength(1), 5000);
  waiting.abort(new Error('interrupted'));
  await expect(wait).rejects.toThrow('interrupted');
}

const good = (t: Traffic, n = 1000): void => {
  t.canary.requests += n;
  t.stable.requests += n;
};

describe('CanaryController', () => {
  it('takes the baseline when traffic starts: what the routers counted before does not count', async () => {
    const h = await harness();
    // Before traffic: every canary request failed (e.g. a tester's requests through the opt-in header).
    h.traffic.canary = { requests: 200, errors: 200 };
    h.traffic.stable = { requests: 200, errors: 0 };
    await new Promise((r) => setTimeout(r, 300));
    expect(h.calls).toEqual([]); // nothing is read or judged before the canary gets traffic
    await h.controller.markTrafficChanged('local');
    good(h.traffic);
    await vi.waitFor(async () => expect((await h.verdicts()).at(-1)?.result).toBe('successful'), 5000);
    expect(h.failures).toEqual([]);
  });

  it('judges each step on its own: good at 10% does not pass the analysis after setWeight 50', async () => {
    const h = await harness();
    await h.controller.markTrafficChanged('local'); // setWeight: 10
    good(h.traffic, 500);
    await vi.waitFor(() => expect(h.controller.verdict?.result).toBe('successful'), 5000);

    await h.controller.markTrafficChanged('local'); // setWeight: 50
    // The verdict at 10% does not carry over: the analysis step after the change waits for one at 50%.
    expect(h.controller.verdict).toBeNull();
    h.traffic.canary.requests += 10; // too few since the change, however many came before it
    h.traffic.stable.requests += 10;
    await vi.waitFor(() => expect(h.controller.verdict?.result).toBe('inconclusive'), 5000);
    expect(h.controller.verdict?.reasons.join('; ')).toMatch(/\(0 of 10 requests\); 20 requests needed/);
    expect(await h.controller.waitForSuccess(300, new AbortController().signal)).toBe('inconclusive');

    // At 50% the canary turns bad: 20 of the next 40 fail, judged apart from the 500 good ones at 10%.
    h.traffic.canary = { requests: h.traffic.canary.requests + 40, errors: 20 };
    h.traffic.stable.requests += 40;
    await vi.waitFor(() => expect(h.failures).toHaveLength(1), 5000);
    expect(h.failures[0]).toMatch(
      /^canary analysis failed: canary 5xx rate 40(\.0+)?% \(20 of 50 requests\)/,
    );
    expect((await h.verdicts()).map((v) => v.result)).toEqual(['successful', 'inconclusive', 'failed']);
  });

  it('writes each change of verdict to the ledger once', async () => {
    const h = await harness();
    await h.controller.markTrafficStarted();
    h.traffic.canary.requests = 5; // below the minimum sample: inconclusive
    h.traffic.stable.requests = 5;
    await vi.waitFor(() => expect(h.calls.length).toBeGreaterThanOrEqual(4), 5000); // judged a few times
    good(h.traffic);
    await vi.waitFor(() => expect(h.controller.verdict?.result).toBe('successful'), 5000);
    const judged = h.calls.length;
    await vi.waitFor(() => expect(h.calls.length).toBeGreaterThan(judged + 2), 5000); // judged again, unchanged
    expect((await h.verdicts()).map((v) => v.result)).toEqual(['inconclusive', 'successful']);
  });

  it('a failed verdict fails the deployment once, with its numbers in the ledger', async () => {
    const h = await harness();
    await h.controller.markTrafficStarted();
    h.traffic.canary = { requests: 400, errors: 120 };
    h.traffic.stable = { requests: 400, errors: 0 };
    await vi.waitFor(() => expect(h.failures).toHaveLength(1), 5000);
    expect(h.failures[0]).toMatch(
      /^canary analysis failed: canary 5xx rate 30(\.0+)?% \(120 of 400 requests\)/,
    );
    const callsAtFailure = h.calls.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(h.failures).toHaveLength(1);
    expect(h.calls.length).toBe(callsAtFailure); // judging stopped
    const [failed] = await h.events('canary.verdict');
    expect(failed?.data).toMatchObject({ result: 'failed', measurements: { canaryErrorRate: 0.3 } });
  });

  it("tells a secret rotation's canary from its stable by target: both run the same release", async () => {
    const rotation: CanaryWatch = {
      ...WATCH,
      canary: { release: '1.0.0', targetId: 'hello-1.0.0-new' },
      stable: { release: '1.0.0', targetId: 'hello-1.0.0-old' },
    };
    const h = await harness({}, [], rotation);
    await h.controller.markTrafficStarted();
    h.traffic.canary = { requests: 400, errors: 120 };
    h.traffic.stable = { requests: 1600, errors: 0 };
    await vi.waitFor(() => expect(h.failures).toHaveLength(1), 5000);
    // Counted by release, both sides would be the same 2000 requests with 6% errors: no difference to find.
    expect(h.failures[0]).toMatch(
      /^canary analysis failed: canary 5xx rate 30(\.0+)?% \(120 of 400 requests\)/,
    );
  });

  it("turns a router's trip report into a failed verdict with the trip's numbers", async () => {
    const h = await harness();
    await h.controller.markTrafficStarted();
    h.traffic.trips = [
      {
        canaryTargetId: 'hello-2.0.0-other', // another canary's trip is not this one's
        release: '0.9.0',
        atMs: 1,
        condition: 'error-rate',
        detail: 'not ours',
        measurements: {},
      },
      {
        canaryTargetId: 'hello-2.0.0-new',
        release: '2.0.0',
        atMs: 2,
        condition: 'error-rate',
        detail: 'tripwire: 7 of 31 canary responses were 5xx',
        measurements: { canaryErrors: 7, canaryRequests: 31 },
      },
    ];
    await vi.waitFor(() => expect(h.failures).toHaveLength(1), 5000);
    expect(h.failures[0]).toBe('canary analysis failed: tripwire: 7 of 31 canary responses were 5xx');
    const [verdict] = await h.events('canary.verdict');
    expect(verdict?.data).toMatchObject({
      result: 'failed',
      measurements: { canaryErrors: 7, canaryRequests: 31 },
      conditions: [{ name: 'tripwire:error-rate', status: 'fail' }],
    });
  });

  it('slipway abort fails the deployment, naming who aborted', async () => {
    const h = await harness();
    await h.signal('abort', 'bob');
    await vi.waitFor(() => expect(h.failures).toEqual(['aborted by bob']), 5000);
  });

  it('slipway promote ends a pause: the next promote signal of this deployment, each taken once', async () => {
    const h = await harness();
    const never = new AbortController();
    const first = h.controller.waitForPromote(never.signal);
    await h.signal('promote', 'carol');
    expect(await first).toMatchObject({ actor: 'carol', seq: expect.any(Number) as unknown });
    // The same signal does not end the next pause.
    const second = h.controller.waitForPromote(AbortSignal.timeout(500));
    await expect(second).rejects.toThrow();
  });

  it('waitForSuccess answers inconclusive at its timeout when no successful verdict came', async () => {
    const h = await harness();
    h.traffic.canary.requests = 3;
    h.traffic.stable.requests = 3;
    expect(await h.controller.waitForSuccess(700, new AbortController().signal)).toBe('inconclusive');
    good(h.traffic);
    expect(await h.controller.waitForSuccess(10_000, new AbortController().signal)).toBe('successful');
  });

  describe('the promotion gate', () => {
    it('passes at once on a successful verdict', async () => {
      const h = await harness();
      await h.controller.markTrafficStarted();
      good(h.traffic);
      await vi.waitFor(() => expect(h.controller.verdict?.result).toBe('successful'), 5000);
      const notes: string[] = [];
      const outcome = await promotion(h, true, undefined, notes);
      expect(outcome.by).toBe('verdict');
      expect(notes).toEqual([]);
      expect(await h.events('canary.inconclusive')).toEqual([]);
    });

    it('waits while inconclusive, says why, and a promote overrides it (ledgered as such)', async () => {
      const h = await harness();
      h.traffic.canary.requests = 4;
      h.traffic.stable.requests = 4;
      await h.controller.markTrafficStarted();
      await vi.waitFor(() => expect(h.controller.verdict?.result).toBe('inconclusive'), 5000);
      const notes: string[] = [];
      const gate = promotion(h, true, undefined, notes);
      await vi.waitFor(async () => expect(await h.events('canary.inconclusive')).toHaveLength(1), 5000);
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(/^analysis inconclusive: .+; waiting for slipway promote$/);
      const [waiting] = await h.events('canary.inconclusive');
      expect(waiting?.message).toMatch(
        /^canary of 2\.0\.0 inconclusive, waiting for slipway promote \(analysis/,
      );
      await h.signal('promote', 'dave');
      const outcome = await gate;
      expect(outcome).toMatchObject({ by: 'operator', signal: { actor: 'dave' } });
      const [override] = await h.events('canary.overridden');
      expect(override?.message).toMatch(
        /^promotion of 2\.0\.0 by dave overrides the analysis \(analysis inconclusive/,
      );
      expect(override?.data).toMatchObject({ promotedBy: 'dave', verdict: { result: 'inconclusive' } });
    });

    it('ends the wait when a later verdict is successful', async () => {
      const h = await harness();
      await h.controller.markTrafficStarted();
      const gate = promotion(h);
      await vi.waitFor(async () => expect(await h.events('canary.inconclusive')).toHaveLength(1), 5000);
      good(h.traffic);
      expect((await gate).by).toBe('verdict');
      expect(await h.events('canary.overridden')).toEqual([]);
    });

    it("honours the promote that ended the wait just before (the operator's go-ahead), not one before a timed pause", async () => {
      const h = await harness();
      await h.controller.markTrafficStarted();
      await h.signal('promote', 'erin');
      await h.controller.waitForPromote(new AbortController().signal); // `pause: {}` ended by erin
      const passed = await promotion(h);
      expect(passed).toMatchObject({ by: 'operator', signal: { actor: 'erin' } });
      expect(await h.events('canary.overridden')).toHaveLength(1);

      h.controller.noteWaitEnded(); // a timed pause came after: the go-ahead is spent
      await expectWaitingThenInterrupt(h, true);
    });

    it('an inline analysis step does not take the go-ahead of an earlier pause', async () => {
      const h = await harness();
      await h.signal('promote', 'frank');
      await h.controller.waitForPromote(new AbortController().signal);
      await expectWaitingThenInterrupt(h, false);
    });
  });

  describe('on resume', () => {
    it('judges at once when the canary already had traffic before the interruption', async () => {
      const h = await harness({ trafficStarted: true });
      h.traffic.canary = { requests: 400, errors: 200 };
      h.traffic.stable = { requests: 400, errors: 0 };
      await vi.waitFor(() => expect(h.failures).toHaveLength(1), 5000);
      expect(h.failures[0]).toMatch(/^canary analysis failed: canary 5xx rate/);
    });

    it('honours the go-ahead of a promote that ended the last wait before the interruption', async () => {
      const h = await harness({ goAhead: { actor: 'ivy', seq: 7, message: 'promote by ivy' } });
      const outcome = await promotion(h);
      expect(outcome).toMatchObject({ by: 'operator', signal: { actor: 'ivy' } });
      expect(await h.events('canary.overridden')).toHaveLength(1);
    });

    it('does not judge a canary that got no traffic yet', async () => {
      const h = await harness();
      await new Promise((r) => setTimeout(r, 500));
      expect(h.calls).toEqual([]);
    });

    it('does not hand out again a promote that a finished step consumed', async () => {
      const store = await stores.open();
      await requestSignal(store, systemClock, { ...SCOPE, release: '2.0.0', kind: 'promote', actor: 'gina' });
      const [old] = await store.listEvents({ app: 'hello', kinds: ['deploy.promote-requested'], limit: 1 });
      const watcher = new SignalWatcher(store, SCOPE, 20, [old?.seq ?? -1]);
      watcher.start();
      try {
        await expect(watcher.next('promote', AbortSignal.timeout(400))).rejects.toThrow();
        await requestSignal(store, systemClock, {
          ...SCOPE,
          release: '2.0.0',
          kind: 'promote',
          actor: 'hal',
        });
        expect((await watcher.next('promote', AbortSignal.timeout(5000))).actor).toBe('hal');
      } finally {
        watcher.stop();
      }
    });
  });
});
