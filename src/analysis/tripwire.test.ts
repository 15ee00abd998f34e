import { describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS_MS } from '../router/metrics.js';
import { analysisPlan } from '../plan/test-fixtures.js';
import {
  MIN_SLOW_RESPONSES,
  checkTripwire,
  mixtureLikelihoodRatio,
  planTripwire,
  type StableSample,
  type TripwirePlan,
  type TripwireSpec,
} from './tripwire.js';

/** The analysis defaults (99%, 5xx ≤ 5% and ≤ stable + 1%, latency +20% and +10 ms). */
const SPEC: TripwireSpec = analysisPlan();

/** A stable whose samples sit in the buckets given as {bound: count}; `open` counts the slowest bucket. */
function stable(requests: number, errors5xx: number, byBound: Record<number, number>): StableSample {
  const counts = LATENCY_BOUNDS_MS.map((b) => byBound[b] ?? 0);
  counts.push(byBound[Infinity] ?? 0);
  return { requests, errors5xx, latency: { boundsMs: [...LATENCY_BOUNDS_MS], counts } };
}

/** Deterministic pseudo-random draws, so the simulations below are repeatable. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

describe('mixtureLikelihoodRatio', () => {
  it.each([
    // k, n, p0, expected (mean over the alternatives above p0 of (p1/p0)^k ((1-p1)/(1-p0))^(n-k))
    { k: 0, n: 0, p0: 0.05, lr: 1 },
    { k: 2, n: 2, p0: 0.01 },
    { k: 1, n: 1, p0: 0.01 },
    { k: 3, n: 15, p0: 0.011 },
  ])('k=$k n=$n p0=$p0 is the mean of the alternatives above p0', ({ k, n, p0, lr }) => {
    const alts = [0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9].filter((p) => p > p0);
    const expected =
      lr ?? alts.reduce((s, p1) => s + (p1 / p0) ** k * ((1 - p1) / (1 - p0)) ** (n - k), 0) / alts.length;
    expect(mixtureLikelihoodRatio(k, n, p0)).toBeCloseTo(expected, 6);
  });

  it('is 1 when no alternative lies above p0 (nothing to detect)', () => {
    expect(mixtureLikelihoodRatio(5, 5, 0.95)).toBe(1);
  });

  it('refuses impossible input', () => {
    expect(() => mixtureLikelihoodRatio(3, 2, 0.1)).toThrow(RangeError);
    expect(() => mixtureLikelihoodRatio(1, 2, 0)).toThrow(RangeError);
  });

  it('one bad response is not enough at 99%, two in a row are (p0 = 1%)', () => {
    expect(mixtureLikelihoodRatio(1, 1, 0.01)).toBeLessThan(100);
    expect(mixtureLikelihoodRatio(2, 2, 0.01)).toBeGreaterThanOrEqual(100);
  });

  // Ville's inequality: under H0 the mixture crosses 1/α at most with probability α, however often it is
  // looked at. Checked by simulation at the boundary of H0 (the rate exactly p0), looking after every response.
  it.each([0.01, 0.05])('looked at after every response, crosses 1/α under H0 (p = p0 = %s) ≤ α', (p0) => {
    const draw = lcg(7);
    const trials = 2000;
    let alarms = 0;
    for (let t = 0; t < trials; t++) {
      let k = 0;
      for (let n = 1; n <= 1000; n++) {
        if (draw() < p0) k++;
        if (mixtureLikelihoodRatio(k, n, p0) >= 100) {
          alarms++;
          break;
        }
      }
    }
    // α = 1%; 2000 trials give a standard error of 0.22%, so 2% would be far outside chance.
    expect(alarms / trials).toBeLessThan(0.02);
  });
});

describe('planTripwire', () => {
  it('takes the error limit from stable when it has enough requests (upper bound + tolerance)', () => {
    const plan = planTripwire(stable(5000, 0, { 2: 5000 }), SPEC);
    expect(plan.alpha).toBeCloseTo(0.01, 10);
    // 0 of 5000 at 99.9% is below 0.2%: the limit is about 1% + that, under maxErrorRate.
    expect(plan.errorRateLimit).toBeGreaterThan(0.01);
    expect(plan.errorRateLimit).toBeLessThan(0.013);
  });

  it('keeps maxErrorRate when stable has served too few requests or is worse than the max', () => {
    expect(planTripwire(stable(50, 0, { 2: 50 }), SPEC).errorRateLimit).toBe(0.05);
    expect(planTripwire(stable(5000, 500, { 2: 5000 }), SPEC).errorRateLimit).toBe(0.05);
  });

  it('sets the latency threshold above stable p90 and the effect sizes, on a bucket bound', () => {
    // Stable: median in (1, 2] ms, 1% above 10 ms: T must be ≥ median + 10 ms → the 25 ms bound.
    const plan = planTripwire(stable(2000, 0, { 1: 600, 2: 1300, 5: 80, 10: 10, 25: 10 }), SPEC);
    expect(plan.latency?.thresholdMs).toBe(25);
    expect(plan.latency?.slowShareLimit).toBe(0.05); // none above 25 ms: the 5% floor
  });

  it('ignores a long tail of stable (a busy machine) as long as 90% of it is fast', () => {
    const plan = planTripwire(stable(1000, 0, { 2: 920, 25: 20, 250: 30, 1000: 30 }), SPEC);
    expect(plan.latency?.thresholdMs).toBe(25); // 6% of stable is above 25 ms
    expect(plan.latency?.slowShareLimit).toBeGreaterThan(0.06); // upper bound of 60 in 1000 at 99.9%
    expect(plan.latency?.slowShareLimit).toBeLessThan(0.1);
  });

  it('moves the threshold up when more than 10% of stable is slower than the effect-size floor', () => {
    const plan = planTripwire(stable(1000, 0, { 5: 700, 50: 250, 100: 45, 250: 5 }), SPEC);
    expect(plan.latency?.thresholdMs).toBe(50); // 30% above 5 ms (and 5 < median + 10), 5% above 50 ms
  });

  it('has no latency tripwire without enough stable samples or when stable sits in the open bucket', () => {
    const few = planTripwire(stable(50, 0, { 2: 50 }), SPEC);
    expect(few.latency).toBeNull();
    expect(few.notes.join(' ')).toMatch(/50 latency samples, 100 needed/);
    const slow = planTripwire(stable(500, 0, { [Infinity]: 500 }), SPEC);
    expect(slow.latency).toBeNull();
  });
});

describe('checkTripwire', () => {
  const plan: TripwirePlan = {
    alpha: 0.01,
    errorRateLimit: 0.011,
    latency: { thresholdMs: 25, slowShareLimit: 0.05 },
    notes: [],
  };

  it.each([
    { what: 'nothing yet', c: { requests: 0, errors: 0, decided: 0, slow: 0 }, trips: null },
    { what: 'one 5xx', c: { requests: 1, errors: 1, decided: 1, slow: 0 }, trips: null },
    { what: 'two 5xx in two', c: { requests: 2, errors: 2, decided: 2, slow: 0 }, trips: 'error-rate' },
    { what: '3 5xx in 15 (20%)', c: { requests: 15, errors: 3, decided: 15, slow: 0 }, trips: 'error-rate' },
    { what: '3 5xx in 300 (1%)', c: { requests: 300, errors: 3, decided: 300, slow: 0 }, trips: null },
    { what: 'two slow (warm-up floor)', c: { requests: 2, errors: 0, decided: 2, slow: 2 }, trips: null },
    { what: 'three slow in three', c: { requests: 0, errors: 0, decided: 3, slow: 3 }, trips: 'latency' },
    { what: 'three slow in five', c: { requests: 5, errors: 0, decided: 5, slow: 3 }, trips: 'latency' },
    { what: 'three slow in ten', c: { requests: 10, errors: 0, decided: 10, slow: 3 }, trips: null },
    {
      what: '40 slow in 400 (a heavier tail)',
      c: { requests: 400, errors: 0, decided: 400, slow: 40 },
      trips: null,
    },
    { what: '5 slow in 8', c: { requests: 8, errors: 0, decided: 8, slow: 5 }, trips: 'latency' },
  ] as const)('$what → $trips', ({ c, trips }) => {
    expect(MIN_SLOW_RESPONSES).toBe(3);
    const trip = checkTripwire(plan, c);
    expect(trip?.condition ?? null).toBe(trips);
  });

  it('names the numbers it decided on', () => {
    const trip = checkTripwire(plan, { requests: 0, errors: 0, decided: 3, slow: 3 });
    expect(trip?.detail).toMatch(/3 of 3 canary responses took longer than 25 ms/);
    expect(trip?.measurements).toMatchObject({
      tripwireSlow: 3,
      tripwireDecided: 3,
      tripwireThresholdMs: 25,
    });
    const errors = checkTripwire(plan, { requests: 2, errors: 2, decided: 2, slow: 0 });
    expect(errors?.detail).toMatch(/2 of 2 canary responses were 5xx/);
  });

  it('without a latency plan only errors count', () => {
    const trip = checkTripwire({ ...plan, latency: null }, { requests: 9, errors: 0, decided: 9, slow: 9 });
    expect(trip).toBeNull();
  });

  it('a limit of 0 (no 5xx allowed) trips on the first errors', () => {
    const trip = checkTripwire(
      { ...plan, errorRateLimit: 0 },
      { requests: 1, errors: 1, decided: 1, slow: 0 },
    );
    expect(trip?.condition).toBe('error-rate');
  });
});
