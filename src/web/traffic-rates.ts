import { quantileFromHistogram } from '../core/latency-histogram.js';

/**
 * The canary charts' arithmetic. GET /environments/:env/traffic answers cumulative counters per target (requests,
 * 5xx, a latency histogram) at a time `atMs`; rates come from the difference of two successive answers, summed
 * per release over every host, so the charts compare versions, not targets. Pure.
 */
export interface TargetCounters {
  host: string;
  targetId: string;
  release: string;
  requests: number;
  errors5xx: number;
  latency: { boundsMs: readonly number[]; counts: readonly number[] };
}

export interface TrafficSnapshot {
  atMs: number;
  targets: readonly TargetCounters[];
}

/** One release's traffic over the interval between two snapshots. */
export interface ReleaseRates {
  release: string;
  requests: number;
  requestsPerSecond: number;
  /** Percent of the interval's requests answered 5xx; null without requests. */
  errorPercent: number | null;
  /** The interval's 99th percentile latency (ms), from the difference of the histograms; null without requests. */
  p99Ms: number | null;
}

export interface TrafficPoint {
  atMs: number;
  releases: ReleaseRates[];
}

/**
 * The rates between two snapshots, per release, in release order of first appearance. A target missing from the
 * earlier snapshot (just started) or whose counters went down (its router restarted) counts from zero. Null when
 * time did not advance (the same answer twice).
 */
export function deriveTrafficPoint(previous: TrafficSnapshot, next: TrafficSnapshot): TrafficPoint | null {
  const seconds = (next.atMs - previous.atMs) / 1000;
  if (!(seconds > 0)) return null;
  const before = new Map(previous.targets.map((t) => [keyOf(t), t]));
  const sums = new Map<
    string,
    { requests: number; errors5xx: number; bounds: readonly number[]; counts: number[] }
  >();
  for (const target of next.targets) {
    const base = before.get(keyOf(target));
    const delta = base && !wentDown(base, target) ? differenceOf(base, target) : target;
    let sum = sums.get(target.release);
    if (!sum) {
      sum = { requests: 0, errors5xx: 0, bounds: target.latency.boundsMs, counts: [] };
      sums.set(target.release, sum);
    }
    sum.requests += delta.requests;
    sum.errors5xx += delta.errors5xx;
    if (sameBounds(sum.bounds, delta.latency.boundsMs))
      delta.latency.counts.forEach((c, i) => (sum.counts[i] = (sum.counts[i] ?? 0) + c));
  }
  const releases = [...sums].map(([release, s]): ReleaseRates => {
    const hasRequests = s.requests > 0;
    return {
      release,
      requests: s.requests,
      requestsPerSecond: s.requests / seconds,
      errorPercent: hasRequests ? (100 * s.errors5xx) / s.requests : null,
      p99Ms: hasRequests
        ? quantileFromHistogram({ boundsMs: [...s.bounds], counts: s.counts, sumMs: 0 }, 0.99)
        : null,
    };
  });
  return { atMs: next.atMs, releases };
}

function keyOf(t: TargetCounters): string {
  return `${t.host}\u0000${t.targetId}`;
}

function wentDown(base: TargetCounters, next: TargetCounters): boolean {
  return (
    next.requests < base.requests ||
    next.errors5xx < base.errors5xx ||
    next.latency.counts.some((c, i) => c < (base.latency.counts[i] ?? 0))
  );
}

function differenceOf(base: TargetCounters, next: TargetCounters): TargetCounters {
  return {
    ...next,
    requests: next.requests - base.requests,
    errors5xx: next.errors5xx - base.errors5xx,
    latency: {
      boundsMs: next.latency.boundsMs,
      counts: sameBounds(base.latency.boundsMs, next.latency.boundsMs)
        ? next.latency.counts.map((c, i) => c - (base.latency.counts[i] ?? 0))
        : next.latency.counts,
    },
  };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The charts' data: x in seconds (uPlot's unit) and one column per release, null where it had no traffic. */
export interface TrafficSeries {
  releases: string[];
  x: number[];
  requestsPerSecond: (number | null)[][];
  errorPercent: (number | null)[][];
  p99Ms: (number | null)[][];
}

export const EMPTY_SERIES: TrafficSeries = {
  releases: [],
  x: [],
  requestsPerSecond: [],
  errorPercent: [],
  p99Ms: [],
};

/** Appends a point, keeping the last `maxPoints`; a release seen for the first time gets nulls before it. */
export function appendTrafficPoint(
  series: TrafficSeries,
  point: TrafficPoint,
  maxPoints: number,
): TrafficSeries {
  const releases = [...series.releases];
  for (const r of point.releases) if (!releases.includes(r.release)) releases.push(r.release);
  const column = (old: (number | null)[][], pick: (r: ReleaseRates) => number | null) =>
    releases.map((release, i) => {
      const values = old[i] ?? series.x.map(() => null);
      const rates = point.releases.find((r) => r.release === release);
      return [...values, rates ? pick(rates) : null].slice(-maxPoints);
    });
  const rps = column(series.requestsPerSecond, (r) => r.requestsPerSecond);
  // A release whose every point slid out of the window (the old stable after the promotion) leaves the legend.
  const kept = releases.map((_, i) => rps[i]?.some((v) => v !== null) ?? false);
  const keep = <T>(values: T[]) => values.filter((_, i) => kept[i]);
  return {
    releases: keep(releases),
    x: [...series.x, point.atMs / 1000].slice(-maxPoints),
    requestsPerSecond: keep(rps),
    errorPercent: keep(column(series.errorPercent, (r) => r.errorPercent)),
    p99Ms: keep(column(series.p99Ms, (r) => r.p99Ms)),
  };
}
