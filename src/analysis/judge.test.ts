import { describe, expect, it } from 'vitest';
import { bucketIndexFor } from '../core/latency-histogram.js';
import { LATENCY_BOUNDS_MS } from '../router/metrics.js';
import type { AnalysisSpec } from './analysis-spec.js';
import type { CheckResult, ConditionStatus } from './check-result.js';
import { judgeCanary, type JudgeInput, type VerdictResult } from './judge.js';
import { normalQuantile } from './stats.js';
import type { WindowStats } from './window.js';

const spec: AnalysisSpec = {
  minRequests: 50,
  confidence: 0.99,
  maxErrorRate: 0.05,
  errorRateTolerance: 0.01,
  latencyTolerance: 0.2,
};

/**
 * `n` request durations spread like a web service's (log-normal: median `medianMs`, p99 about 3.2 × the
 * median), at evenly spaced quantiles so the test is deterministic, counted into the router's buckets.
 */
function latencies(n: number, medianMs: number, sigma = 0.5): number[] {
  const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  for (let i = 0; i < n; i++) {
    const ms = medianMs * Math.exp(sigma * normalQuantile((i + 0.5) / n));
    counts[bucketIndexFor(LATENCY_BOUNDS_MS, ms)]!++;
  }
  return counts;
}

function traffic(requests: number, errors: number, medianMs = 80, sigma = 0.5): WindowStats {
  return {
    requests,
    errors5xx: errors,
    proxyErrors: 0,
    latency: { boundsMs: [...LATENCY_BOUNDS_MS], counts: latencies(requests, medianMs, sigma) },
  };
}

const check = (name: string, status: ConditionStatus): CheckResult => ({
  name,
  status,
  detail: `${name} ${status}`,
});

interface Row {
  canary: WindowStats;
  stable: WindowStats | null;
  spec?: Partial<AnalysisSpec>;
  checks?: CheckResult[];
  result: VerdictResult;
  conditions: Record<string, ConditionStatus>;
}

const stable = traffic(5000, 25); // 0.5% errors, median 80 ms

const table: Record<string, Row> = {
  'no canary traffic yet': {
    canary: traffic(0, 0),
    stable,
    result: 'inconclusive',
    conditions: {
      'error-rate': 'inconclusive',
      'error-rate-vs-stable': 'inconclusive',
      'latency-vs-stable': 'inconclusive',
    },
  },
  'a canary as good as stable, with enough requests': {
    canary: traffic(500, 2),
    stable,
    result: 'successful',
    conditions: { 'error-rate': 'pass', 'error-rate-vs-stable': 'pass', 'latency-vs-stable': 'pass' },
  },
  'a good canary below the minimum sample': {
    canary: traffic(40, 0),
    stable,
    result: 'inconclusive',
    conditions: {
      'error-rate': 'inconclusive',
      'error-rate-vs-stable': 'inconclusive',
      'latency-vs-stable': 'inconclusive',
    },
  },
  'a good canary at exactly the minimum sample': {
    canary: traffic(50, 0),
    stable,
    result: 'successful',
    conditions: { 'error-rate': 'pass', 'error-rate-vs-stable': 'pass', 'latency-vs-stable': 'pass' },
  },
  'a clearly bad canary fails on few requests (8 of 30)': {
    canary: traffic(30, 8),
    stable,
    result: 'failed',
    conditions: { 'error-rate': 'fail', 'error-rate-vs-stable': 'fail', 'latency-vs-stable': 'inconclusive' },
  },
  'one early error does not fail a canary': {
    canary: traffic(2, 1),
    stable,
    result: 'inconclusive',
    conditions: {
      'error-rate': 'inconclusive',
      'error-rate-vs-stable': 'inconclusive',
      'latency-vs-stable': 'inconclusive',
    },
  },
  'a rate above the maximum but not significantly so': {
    canary: traffic(100, 6),
    stable: null,
    result: 'inconclusive',
    conditions: { 'error-rate': 'inconclusive' },
  },
  'a rate exactly at the maximum passes': {
    canary: traffic(200, 10),
    stable: null,
    result: 'successful',
    conditions: { 'error-rate': 'pass' },
  },
  'a zero maximum fails on the first error': {
    canary: traffic(500, 1),
    stable: null,
    spec: { maxErrorRate: 0 },
    result: 'failed',
    conditions: { 'error-rate': 'fail' },
  },
  'a canary under the maximum but clearly worse than stable': {
    canary: traffic(1000, 40), // 4% vs 0.5%
    stable,
    result: 'failed',
    conditions: { 'error-rate': 'pass', 'error-rate-vs-stable': 'fail', 'latency-vs-stable': 'pass' },
  },
  'a canary slightly worse than stable, within the tolerance': {
    canary: traffic(2000, 22), // 1.1% vs 0.5%, tolerance 1%
    stable,
    result: 'successful',
    conditions: { 'error-rate': 'pass', 'error-rate-vs-stable': 'pass', 'latency-vs-stable': 'pass' },
  },
  'a canary 150 ms slower than stable': {
    canary: traffic(300, 0, 230),
    stable,
    result: 'failed',
    conditions: { 'error-rate': 'pass', 'error-rate-vs-stable': 'pass', 'latency-vs-stable': 'fail' },
  },
  'a slower canary is caught before the minimum sample': {
    canary: traffic(30, 0, 230),
    stable,
    result: 'failed',
    conditions: {
      'error-rate': 'inconclusive',
      'error-rate-vs-stable': 'inconclusive',
      'latency-vs-stable': 'fail',
    },
  },
  'a slower canary below the comparison floor is not judged yet': {
    canary: traffic(15, 0, 230),
    stable,
    result: 'inconclusive',
    conditions: {
      'error-rate': 'inconclusive',
      'error-rate-vs-stable': 'inconclusive',
      'latency-vs-stable': 'inconclusive',
    },
  },
  'a faster canary': {
    canary: traffic(300, 0, 40),
    stable,
    result: 'successful',
    conditions: { 'error-rate': 'pass', 'error-rate-vs-stable': 'pass', 'latency-vs-stable': 'pass' },
  },
  'first deploy: no stable, thresholds only': {
    canary: traffic(100, 0, 400),
    stable: null,
    result: 'successful',
    conditions: { 'error-rate': 'pass' },
  },
  'stable too quiet to compare with (probe traffic on the canary)': {
    canary: traffic(120, 0),
    stable: traffic(12, 0),
    result: 'successful',
    conditions: { 'error-rate': 'pass' },
  },
  'p99 above the maximum': {
    canary: traffic(200, 0, 230), // p99 ≈ 735 ms
    stable: null,
    spec: { maxP99Ms: 500 },
    result: 'failed',
    conditions: { 'error-rate': 'pass', 'p99-latency': 'fail' },
  },
  'p99 under the maximum': {
    canary: traffic(200, 0, 80), // p99 ≈ 255 ms
    stable: null,
    spec: { maxP99Ms: 500 },
    result: 'successful',
    conditions: { 'error-rate': 'pass', 'p99-latency': 'pass' },
  },
  'p99 above the maximum, below the minimum sample': {
    canary: traffic(30, 0, 230),
    stable: null,
    spec: { maxP99Ms: 500 },
    result: 'inconclusive',
    conditions: { 'error-rate': 'inconclusive', 'p99-latency': 'inconclusive' },
  },
  'p99 beyond the last bucket with a maximum above it': {
    canary: traffic(200, 0, 9000, 0.3),
    stable: null,
    spec: { maxP99Ms: 20_000 },
    result: 'inconclusive',
    conditions: { 'error-rate': 'pass', 'p99-latency': 'inconclusive' },
  },
  'a failed check fails a healthy canary': {
    canary: traffic(500, 2),
    stable,
    checks: [check('db', 'pass'), check('smoke', 'fail')],
    result: 'failed',
    conditions: {
      'error-rate': 'pass',
      'error-rate-vs-stable': 'pass',
      'latency-vs-stable': 'pass',
      'check:db': 'pass',
      'check:smoke': 'fail',
    },
  },
  'an inconclusive check holds the verdict': {
    canary: traffic(500, 2),
    stable,
    checks: [check('db', 'inconclusive')],
    result: 'inconclusive',
    conditions: {
      'error-rate': 'pass',
      'error-rate-vs-stable': 'pass',
      'latency-vs-stable': 'pass',
      'check:db': 'inconclusive',
    },
  },
  'passing checks keep a healthy canary successful': {
    canary: traffic(500, 2),
    stable,
    checks: [check('db', 'pass')],
    result: 'successful',
    conditions: {
      'error-rate': 'pass',
      'error-rate-vs-stable': 'pass',
      'latency-vs-stable': 'pass',
      'check:db': 'pass',
    },
  },
};

describe('judgeCanary', () => {
  it.each(Object.entries(table))('%s', (_name, row) => {
    const verdict = judgeCanary({
      canary: row.canary,
      stable: row.stable,
      spec: { ...spec, ...row.spec },
      checks: row.checks ?? [],
    });
    expect(Object.fromEntries(verdict.conditions.map((c) => [c.name, c.status]))).toEqual(row.conditions);
    expect(verdict.result).toBe(row.result);
    expect(verdict.reasons.length).toBeGreaterThan(0);
  });

  it('names the numbers of a clearly bad canary', () => {
    const verdict = judgeCanary({ canary: traffic(30, 8), stable: null, spec, checks: [] });
    expect(verdict.reasons).toEqual([
      'canary 5xx rate 26.7% (8 of 30 requests), lower bound 11.5% at 99%, > max 5%',
    ]);
    expect(verdict.measurements.canaryErrorRateLowerBound).toBeCloseTo(0.11467, 5);
  });

  it('names the counts on both sides when the canary is worse than stable', () => {
    const verdict = judgeCanary({ canary: traffic(1000, 40), stable, spec, checks: [] });
    expect(verdict.reasons).toHaveLength(1);
    expect(verdict.reasons[0]).toMatch(
      /^canary 5xx rate 4% \(40 of 1000 requests\) vs stable [\d.]+% \(\d+ of \d+\): exceeds stable by more than 1% at 99% confidence \(p [<=] [\d.]+\)$/,
    );
  });

  it('names the medians and the limit of a slower canary', () => {
    const verdict = judgeCanary({ canary: traffic(300, 0, 230), stable, spec, checks: [] });
    expect(verdict.reasons).toHaveLength(1);
    expect(verdict.reasons[0]).toMatch(
      /^canary median \d+ms vs stable \d+ms: slower at 99% confidence \(Mann-Whitney p < 0\.0001\) and more than 20% above stable \(limit \d+ms\)$/,
    );
    expect(verdict.measurements.latencyProbabilitySlower).toBeGreaterThan(0.8);
  });

  it('lets a huge sample show a trivial slowdown without failing the canary', () => {
    // 5% slower medians over 50 000 requests each: significant, but within the 20% tolerance.
    const verdict = judgeCanary({
      canary: traffic(50_000, 0, 84),
      stable: traffic(50_000, 0, 80),
      spec,
      checks: [],
    });
    const latency = verdict.conditions.find((c) => c.name === 'latency-vs-stable');
    expect(latency?.status).toBe('pass');
    expect(latency?.detail).toMatch(/slower \(Mann-Whitney p .*\) but within 20% of stable/);
    expect(verdict.measurements.latencyComparisonPValue).toBeLessThan(0.01);
    expect(verdict.result).toBe('successful');
  });

  it('does not fail a warming-up canary that is slower by less than the absolute minimum difference', () => {
    // Sub-millisecond apps: a fresh process answers in ~1.6 ms where stable takes ~0.8 ms. Twice as slow,
    // highly significant, and irrelevant to users: the 10 ms floor keeps it from aborting a good release.
    const verdict = judgeCanary({
      canary: traffic(2000, 0, 1.6, 0.3),
      stable: traffic(2000, 0, 0.8, 0.3),
      spec: { ...spec, latencyMinDifferenceMs: 10 },
      checks: [],
    });
    expect(verdict.measurements.latencyComparisonPValue).toBeLessThan(0.01);
    expect(verdict.conditions.find((c) => c.name === 'latency-vs-stable')?.status).toBe('pass');
    const without = judgeCanary({
      canary: traffic(2000, 0, 1.6, 0.3),
      stable: traffic(2000, 0, 0.8, 0.3),
      spec,
      checks: [],
    });
    expect(without.conditions.find((c) => c.name === 'latency-vs-stable')?.status).toBe('fail');
  });

  it('explains a comparison left out for lack of stable traffic', () => {
    const verdict = judgeCanary({ canary: traffic(120, 0), stable: traffic(12, 0), spec, checks: [] });
    expect(verdict.reasons).toEqual([
      'canary 5xx rate 0% (0 of 120 requests) ≤ max 5%',
      'no error-rate comparison with stable: it served 12 requests in the window, 50 needed',
      'no latency comparison with stable: it has 12 latency samples in the window, 50 needed',
    ]);
  });

  it('says a first deploy is judged on thresholds only', () => {
    const verdict = judgeCanary({ canary: traffic(100, 0), stable: null, spec, checks: [] });
    expect(verdict.reasons).toContain(
      'no stable version to compare with (first deploy): judged on thresholds and checks only',
    );
  });

  it('gives only the failed conditions as reasons of a failure', () => {
    const verdict = judgeCanary({
      canary: traffic(500, 2),
      stable,
      spec,
      checks: [check('smoke', 'fail'), check('db', 'inconclusive')],
    });
    expect(verdict.reasons).toEqual(['smoke: smoke fail']);
  });

  it('reports the same measurements every time, null when not computed', () => {
    const input: JudgeInput = { canary: traffic(0, 0), stable: null, spec, checks: [] };
    const empty = judgeCanary(input).measurements;
    const full = judgeCanary({ ...input, canary: traffic(500, 2), stable }).measurements;
    expect(Object.keys(empty).sort()).toEqual(Object.keys(full).sort());
    expect(empty).toMatchObject({ canaryRequests: 0, canaryErrorRate: null, stableRequests: null });
    expect(full).toMatchObject({
      canaryRequests: 500,
      canaryErrors5xx: 2,
      canaryErrorRate: 0.004,
      stableRequests: 5000,
    });
    expect(full.errorComparisonPValue).toBeGreaterThan(0.01);
    expect(full.canaryP50Ms).toBeGreaterThan(50);
    expect(full.canaryP50Ms).toBeLessThan(100);
  });

  it('records the value of each check', () => {
    const verdict = judgeCanary({
      canary: traffic(500, 2),
      stable,
      spec,
      checks: [
        { name: 'db', status: 'pass', detail: 'query value 0.02 ≤ max 0.05', value: 0.02 },
        check('smoke', 'pass'),
      ],
    });
    expect(verdict.measurements['check:db']).toBe(0.02);
    expect(verdict.measurements['check:smoke']).toBeNull();
  });

  it('cannot compare histograms with different buckets', () => {
    const canary = { ...traffic(300, 0), latency: { boundsMs: [100], counts: [290, 10] } };
    const verdict = judgeCanary({ canary, stable, spec, checks: [] });
    expect(verdict.conditions.find((c) => c.name === 'latency-vs-stable')?.status).toBe('inconclusive');
    expect(verdict.result).toBe('inconclusive');
  });
});
