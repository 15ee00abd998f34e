import type { TargetMetrics } from '../agent/protocol.js';
import { sameBuckets, type LatencyHistogram } from '../core/latency-histogram.js';

/** What one target served during the analysis window. */
export interface WindowStats {
  requests: number;
  /** Answers with status ≥ 500, including the router's own 502s (`proxyErrors`). */
  errors5xx: number;
  proxyErrors: number;
  /** Durations of the window's requests (WebSocket sessions are not counted). */
  latency: LatencyHistogram;
}

/**
 * The window since `baseline`: the router's counters are cumulative since the target was added, so the
 * difference of two snapshots is what happened in between. A canary is judged on what it served since it got
 * traffic, and the stable on the same stretch of time.
 *
 * When any counter went down (the agent restarted and its router started again from 0), or the snapshots are
 * of different targets or histogram layouts, the baseline says nothing about `current`: the whole of
 * `current` is the window.
 */
export function deriveWindow(baseline: TargetMetrics, current: TargetMetrics): WindowStats {
  if (!isContinuation(baseline, current)) return windowOf(current);
  return {
    requests: current.requests - baseline.requests,
    errors5xx: current.errors5xx - baseline.errors5xx,
    proxyErrors: current.proxyErrors - baseline.proxyErrors,
    latency: {
      boundsMs: [...current.latency.boundsMs],
      counts: current.latency.counts.map((count, i) => count - (baseline.latency.counts[i] as number)),
    },
  };
}

/** Everything a target has served, as a window (no baseline yet). */
export function windowOf(metrics: TargetMetrics): WindowStats {
  return {
    requests: metrics.requests,
    errors5xx: metrics.errors5xx,
    proxyErrors: metrics.proxyErrors,
    latency: { boundsMs: [...metrics.latency.boundsMs], counts: [...metrics.latency.counts] },
  };
}

function isContinuation(baseline: TargetMetrics, current: TargetMetrics): boolean {
  return (
    baseline.targetId === current.targetId &&
    sameBuckets(baseline.latency, current.latency) &&
    current.requests >= baseline.requests &&
    current.errors5xx >= baseline.errors5xx &&
    current.proxyErrors >= baseline.proxyErrors &&
    current.latency.counts.every((count, i) => count >= (baseline.latency.counts[i] as number))
  );
}
