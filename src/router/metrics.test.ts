import { describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS_MS, TargetCounters, bucketIndexFor, quantileFromHistogram } from './metrics.js';

describe('bucketIndexFor', () => {
  it.each([
    [0, 0],
    [0.4, 0],
    [1, 0],
    [1.01, 1],
    [2, 1],
    [3, 2],
    [10_000, 12],
    [10_001, 13],
    [1e9, 13],
  ])('puts %s ms in bucket %s', (ms, index) => {
    expect(bucketIndexFor(LATENCY_BOUNDS_MS, ms)).toBe(index);
  });
});

describe('quantileFromHistogram', () => {
  const boundsMs = [10, 20, 50];

  it('is null for an empty histogram', () => {
    expect(quantileFromHistogram({ boundsMs, counts: [0, 0, 0, 0] }, 0.5)).toBeNull();
  });

  it('interpolates inside the bucket that holds the rank', () => {
    // 10 samples in (10,20]: the median is halfway through that bucket.
    expect(quantileFromHistogram({ boundsMs, counts: [0, 10, 0, 0] }, 0.5)).toBe(15);
    // 50 in [0,10], 50 in (20,50]: p75 is halfway through the third bucket.
    expect(quantileFromHistogram({ boundsMs, counts: [50, 0, 50, 0] }, 0.75)).toBe(35);
    expect(quantileFromHistogram({ boundsMs, counts: [50, 0, 50, 0] }, 1)).toBe(50);
  });

  it('reports samples in the open bucket at the last bound', () => {
    expect(quantileFromHistogram({ boundsMs, counts: [1, 0, 0, 99] }, 0.99)).toBe(50);
  });

  it('gives the lowest non-empty bucket for q = 0', () => {
    expect(quantileFromHistogram({ boundsMs, counts: [0, 0, 4, 0] }, 0)).toBe(20);
  });

  it('rejects a quantile outside 0..1', () => {
    expect(() => quantileFromHistogram({ boundsMs, counts: [1, 0, 0, 0] }, 1.5)).toThrow(RangeError);
    expect(() => quantileFromHistogram({ boundsMs, counts: [1, 0, 0, 0] }, Number.NaN)).toThrow(RangeError);
  });
});

describe('TargetCounters', () => {
  it('counts requests, 5xx, proxy errors and latency buckets', () => {
    const counters = new TargetCounters('app-v1-abc', 'v1');
    counters.record(200, 0.5, false);
    counters.record(503, 30, false);
    counters.record(502, 3, true);
    counters.record(101, null, false);
    const snap = counters.snapshot();
    expect(snap).toMatchObject({
      targetId: 'app-v1-abc',
      release: 'v1',
      requests: 4,
      errors5xx: 2,
      proxyErrors: 1,
    });
    expect(snap.latency.boundsMs).toEqual(LATENCY_BOUNDS_MS);
    expect(snap.latency.counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(snap.latency.counts[0]).toBe(1);
    expect(snap.latency.counts[2]).toBe(1);
    expect(snap.latency.counts[5]).toBe(1);
  });

  it('hands out copies, not its live arrays', () => {
    const counters = new TargetCounters('t', 'v1');
    const before = counters.snapshot();
    counters.record(200, 1, false);
    expect(before.latency.counts[0]).toBe(0);
    expect(counters.snapshot().latency.counts[0]).toBe(1);
  });
});
