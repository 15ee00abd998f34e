import { describe, expect, it } from 'vitest';
import { comparePerformance, percentileMs } from './compare-performance.js';
import type { PerformanceSample } from './verification-check.js';
import type { PerformanceTolerance } from './verify-suite.js';

const tolerance: PerformanceTolerance = {
  maxThroughputDrop: 0.2,
  maxP95Increase: 0.3,
  maxP99Increase: 0.5,
  minLatencyIncreaseMs: 10,
  maxErrorRate: 0.01,
};
const sample = (o: Partial<PerformanceSample> = {}): PerformanceSample => ({
  requests: 1000,
  requestsPerSecond: 500,
  p50Ms: 10,
  p95Ms: 40,
  p99Ms: 60,
  errorRate: 0,
  ...o,
});
const baseline = { release: '1.0.0', sample: sample() };

describe('comparePerformance', () => {
  const cases: Array<[string, Partial<PerformanceSample>, boolean, RegExp | null]> = [
    ['same as the baseline', {}, true, null],
    ['throughput drop within tolerance', { requestsPerSecond: 420 }, true, null],
    [
      'throughput drop beyond tolerance',
      { requestsPerSecond: 390 },
      false,
      /throughput 390 req\/s fell 22\.0% from 500/,
    ],
    ['p95 rise within the share', { p95Ms: 52 }, true, null],
    ['p95 rise beyond the share', { p95Ms: 60 }, false, /p95 60ms rose from 40ms/],
    ['p99 rise beyond the share', { p99Ms: 100 }, false, /p99 100ms rose from 60ms/],
    ['error rate above the limit', { errorRate: 0.05 }, false, /error rate 5\.0% above 1\.0%/],
    ['nothing answered', { requests: 0, requestsPerSecond: 0 }, false, /no request was answered/],
  ];
  it.each(cases)('%s', (_name, measured, passed, message) => {
    const judged = comparePerformance(sample(measured), baseline, tolerance);
    expect(judged.passed).toBe(passed);
    if (message) expect(judged.message).toMatch(message);
    if (!passed) expect(judged.message).toContain('against 1.0.0');
  });

  it('a latency rise below the absolute floor is noise, even when the share is large', () => {
    const tiny = { release: '1.0.0', sample: sample({ p95Ms: 2, p99Ms: 3 }) };
    expect(comparePerformance(sample({ p95Ms: 6, p99Ms: 9 }), tiny, tolerance).passed).toBe(true);
    expect(comparePerformance(sample({ p95Ms: 13, p99Ms: 3 }), tiny, tolerance).passed).toBe(false);
  });

  it('without a baseline only the error rate counts, and the run becomes the baseline', () => {
    const first = comparePerformance(sample({ p95Ms: 900, requestsPerSecond: 1 }), null, tolerance);
    expect(first.passed).toBe(true);
    expect(first.message).toContain('no baseline yet');
    expect(comparePerformance(sample({ errorRate: 0.5 }), null, tolerance).passed).toBe(false);
  });
});

describe('percentileMs', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  it.each([
    [50, 50],
    [95, 95],
    [99, 99],
    [100, 100],
    [0, 1],
  ])('p%s of 1..100 is %s', (p, expected) => {
    expect(percentileMs(values, p)).toBe(expected);
  });
  it('is 0 without samples and the only value with one', () => {
    expect(percentileMs([], 95)).toBe(0);
    expect(percentileMs([7], 99)).toBe(7);
  });
});
