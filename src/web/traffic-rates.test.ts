import { describe, expect, it } from 'vitest';
import {
  appendTrafficPoint,
  deriveTrafficPoint,
  EMPTY_SERIES,
  type TargetCounters,
  type TrafficSnapshot,
} from './traffic-rates.js';

const BOUNDS = [10, 100, 1000];

function target(
  host: string,
  targetId: string,
  release: string,
  requests: number,
  errors5xx: number,
  counts: number[],
): TargetCounters {
  return { host, targetId, release, requests, errors5xx, latency: { boundsMs: BOUNDS, counts } };
}

const at = (atMs: number, ...targets: TargetCounters[]): TrafficSnapshot => ({ atMs, targets });

describe('deriveTrafficPoint', () => {
  it('takes rates per release from the difference of two answers, summed over hosts', () => {
    const previous = at(
      10_000,
      target('a', 't1', '1.0.0', 100, 1, [100, 0, 0, 0]),
      target('b', 't2', '1.0.0', 50, 0, [50, 0, 0, 0]),
      target('a', 't3', '2.0.0', 10, 0, [10, 0, 0, 0]),
    );
    const next = at(
      12_000,
      target('a', 't1', '1.0.0', 180, 1, [180, 0, 0, 0]),
      target('b', 't2', '1.0.0', 90, 0, [90, 0, 0, 0]),
      target('a', 't3', '2.0.0', 30, 5, [10, 0, 20, 0]),
    );
    const point = deriveTrafficPoint(previous, next);
    expect(point?.atMs).toBe(12_000);
    const [stable, canary] = point?.releases ?? [];
    // 80 + 40 requests in 2 s, no new 5xx, all under 10 ms.
    expect(stable).toMatchObject({ release: '1.0.0', requests: 120, requestsPerSecond: 60, errorPercent: 0 });
    expect(stable?.p99Ms).toBeLessThanOrEqual(10);
    // 20 requests in 2 s, 5 of them 5xx, all between 100 and 1000 ms.
    expect(canary).toMatchObject({ release: '2.0.0', requests: 20, requestsPerSecond: 10, errorPercent: 25 });
    expect(canary?.p99Ms).toBeGreaterThan(100);
    expect(canary?.p99Ms).toBeLessThanOrEqual(1000);
  });

  it('counts a new target, and one whose counters went down (router restarted), from zero', () => {
    const previous = at(0, target('a', 't1', '1.0.0', 1000, 10, [1000, 0, 0, 0]));
    const next = at(
      1000,
      target('a', 't1', '1.0.0', 5, 0, [5, 0, 0, 0]),
      target('a', 't2', '2.0.0', 7, 1, [0, 7, 0, 0]),
    );
    const point = deriveTrafficPoint(previous, next);
    expect(point?.releases.map((r) => [r.release, r.requests, r.errorPercent])).toEqual([
      ['1.0.0', 5, 0],
      ['2.0.0', 7, (100 * 1) / 7],
    ]);
  });

  it('gives no error rate or latency for a release without requests in the interval', () => {
    const t = target('a', 't1', '1.0.0', 3, 0, [3, 0, 0, 0]);
    const point = deriveTrafficPoint(at(0, t), at(5000, t));
    expect(point?.releases).toEqual([
      { release: '1.0.0', requests: 0, requestsPerSecond: 0, errorPercent: null, p99Ms: null },
    ]);
  });

  it('is null when time did not advance', () => {
    const t = target('a', 't1', '1.0.0', 3, 0, [3, 0, 0, 0]);
    expect(deriveTrafficPoint(at(5000, t), at(5000, t))).toBeNull();
    expect(deriveTrafficPoint(at(6000, t), at(5000, t))).toBeNull();
  });

  it('reports the open bucket at the last bound', () => {
    const point = deriveTrafficPoint(
      at(0, target('a', 't1', '1.0.0', 0, 0, [0, 0, 0, 0])),
      at(1000, target('a', 't1', '1.0.0', 10, 0, [0, 0, 0, 10])),
    );
    expect(point?.releases[0]?.p99Ms).toBe(1000);
  });
});

describe('appendTrafficPoint', () => {
  const rates = (release: string, requestsPerSecond: number) => ({
    release,
    requests: requestsPerSecond,
    requestsPerSecond,
    errorPercent: 0,
    p99Ms: 5,
  });

  it('aligns a column per release, with nulls before a release first appears', () => {
    let series = appendTrafficPoint(EMPTY_SERIES, { atMs: 1000, releases: [rates('1.0.0', 10)] }, 100);
    series = appendTrafficPoint(
      series,
      { atMs: 2000, releases: [rates('1.0.0', 9), rates('2.0.0', 1)] },
      100,
    );
    expect(series.releases).toEqual(['1.0.0', '2.0.0']);
    expect(series.x).toEqual([1, 2]);
    expect(series.requestsPerSecond).toEqual([
      [10, 9],
      [null, 1],
    ]);
    expect(series.p99Ms).toEqual([
      [5, 5],
      [null, 5],
    ]);
  });

  it('keeps the last maxPoints and drops a release with nothing left in the window', () => {
    let series = EMPTY_SERIES;
    series = appendTrafficPoint(series, { atMs: 1000, releases: [rates('1.0.0', 1)] }, 2);
    series = appendTrafficPoint(series, { atMs: 2000, releases: [rates('2.0.0', 2)] }, 2);
    expect(series.releases).toEqual(['1.0.0', '2.0.0']);
    series = appendTrafficPoint(series, { atMs: 3000, releases: [rates('2.0.0', 3)] }, 2);
    expect(series.x).toEqual([2, 3]);
    expect(series.releases).toEqual(['2.0.0']);
    expect(series.requestsPerSecond).toEqual([[2, 3]]);
  });
});
