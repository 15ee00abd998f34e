import { describe, expect, it } from 'vitest';
import {
  bucketIndexFor,
  histogramCount,
  medianFromHistogram,
  quantileFromHistogram,
  sameBuckets,
  sumHistograms,
  type LatencyHistogram,
} from './latency-histogram.js';

const ROUTER_BOUNDS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const boundsMs = [10, 20, 50];
const of = (...counts: number[]): LatencyHistogram => ({ boundsMs, counts });

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
    expect(bucketIndexFor(ROUTER_BOUNDS_MS, ms)).toBe(index);
  });
});

describe('quantileFromHistogram', () => {
  it.each([
    ['is null for an empty histogram', of(0, 0, 0, 0), 0.5, null],
    // 10 samples in (10,20]: the median is halfway through that bucket.
    ['interpolates inside the bucket that holds the rank', of(0, 10, 0, 0), 0.5, 15],
    // 50 in [0,10], 50 in (20,50]: p75 is halfway through the third bucket.
    ['interpolates in a later bucket', of(50, 0, 50, 0), 0.75, 35],
    ['gives the upper bound of the last sample for q = 1', of(50, 0, 50, 0), 1, 50],
    ['reports samples in the open bucket at the last bound', of(1, 0, 0, 99), 0.99, 50],
    ['gives the lowest non-empty bucket for q = 0', of(0, 0, 4, 0), 0, 20],
    ['is 0 for a histogram without bounds', { boundsMs: [], counts: [3] }, 0.5, 0],
  ])('%s', (_, h, q, expected) => {
    expect(quantileFromHistogram(h, q)).toBe(expected);
  });

  it.each([1.5, -0.1, Number.NaN])('rejects the quantile %s', (q) => {
    expect(() => quantileFromHistogram(of(1, 0, 0, 0), q)).toThrow(RangeError);
  });
});

describe('medianFromHistogram', () => {
  it.each([
    [of(0, 10, 0, 0), 15],
    [of(0, 0, 0, 0), null],
    [of(10, 0, 0, 10), 10],
  ])('%j → %s', (h, median) => expect(medianFromHistogram(h)).toBe(median));
});

describe('histogramCount', () => {
  it.each([
    [of(0, 0, 0, 0), 0],
    [of(1, 2, 3, 4), 10],
    [{ boundsMs: [], counts: [] }, 0],
  ])('%j → %d', (h, total) => expect(histogramCount(h)).toBe(total));
});

describe('sameBuckets', () => {
  it.each([
    ['the same bounds', of(1, 0, 0, 0), of(0, 0, 0, 9), true],
    ['other bounds', of(1, 0, 0, 0), { boundsMs: [10, 20, 60], counts: [1, 0, 0, 0] }, false],
    ['fewer bounds', of(1, 0, 0, 0), { boundsMs: [10, 20], counts: [1, 0, 0] }, false],
    ['a missing open bucket', of(1, 0, 0, 0), { boundsMs, counts: [1, 0, 0] }, false],
  ])('%s → %s', (_, a, b, same) => expect(sameBuckets(a, b)).toBe(same));
});

describe('sumHistograms', () => {
  it.each([
    ['adds bucket by bucket', [of(1, 2, 3, 4), of(10, 0, 0, 1)], of(11, 2, 3, 5)],
    ['keeps one histogram as it is', [of(0, 5, 0, 0)], of(0, 5, 0, 0)],
    ['drops sumMs', [{ ...of(1, 0, 0, 0), sumMs: 4 }], of(1, 0, 0, 0)],
    ['gives only the open bucket for none', [], { boundsMs: [], counts: [0] }],
  ])('%s', (_, histograms, sum) => expect(sumHistograms(histograms)).toEqual(sum));
});
