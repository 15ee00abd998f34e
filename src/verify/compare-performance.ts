import { formatDurationMs } from '../core/duration.js';
import type { PerformanceSample } from './verification-check.js';
import type { PerformanceTolerance } from './verify-suite.js';

export interface PerformanceJudgement {
  passed: boolean;
  /** Each regression beyond tolerance, as a line. */
  problems: string[];
  message: string;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * Compares a load run with the baseline (the last passing run of an earlier release). The error rate is judged
 * on its own; throughput and latency only against a baseline, and a latency rise counts only when it exceeds
 * both the share and the absolute floor (small latencies are noisy). Pure.
 */
export function comparePerformance(
  sample: PerformanceSample,
  baseline: { release: string; sample: PerformanceSample } | null,
  tolerance: PerformanceTolerance,
): PerformanceJudgement {
  const problems: string[] = [];
  if (sample.requests === 0) problems.push('no request was answered');
  if (sample.errorRate > tolerance.maxErrorRate)
    problems.push(`error rate ${pct(sample.errorRate)} above ${pct(tolerance.maxErrorRate)}`);
  const summary = `${sample.requestsPerSecond.toFixed(0)} req/s, p95 ${formatDurationMs(sample.p95Ms)}, p99 ${formatDurationMs(sample.p99Ms)}, errors ${pct(sample.errorRate)}`;
  if (!baseline) {
    return {
      passed: problems.length === 0,
      problems,
      message: `${problems.length ? `${problems.join('; ')}; ` : ''}${summary}; no baseline yet (this run becomes it when the verification passes)`,
    };
  }
  const base = baseline.sample;
  const floor = base.requestsPerSecond * (1 - tolerance.maxThroughputDrop);
  if (sample.requestsPerSecond < floor) {
    problems.push(
      `throughput ${sample.requestsPerSecond.toFixed(0)} req/s fell ${pct(1 - sample.requestsPerSecond / base.requestsPerSecond)} from ${base.requestsPerSecond.toFixed(0)} (tolerance ${pct(tolerance.maxThroughputDrop)})`,
    );
  }
  const latency = (label: string, now: number, before: number, maxIncrease: number): void => {
    const rise = now - before;
    if (rise > before * maxIncrease && rise >= tolerance.minLatencyIncreaseMs) {
      problems.push(
        `${label} ${formatDurationMs(now)} rose from ${formatDurationMs(before)} (+${before > 0 ? pct(rise / before) : '∞'}, tolerance ${pct(maxIncrease)})`,
      );
    }
  };
  latency('p95', sample.p95Ms, base.p95Ms, tolerance.maxP95Increase);
  latency('p99', sample.p99Ms, base.p99Ms, tolerance.maxP99Increase);
  return {
    passed: problems.length === 0,
    problems,
    message: problems.length
      ? `${problems.join('; ')} against ${baseline.release}`
      : `${summary}; within tolerance of ${baseline.release}`,
  };
}

/** The p-th percentile (0..100) of latencies by nearest rank. Pure. */
export function percentileMs(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sortedMs.length);
  return sortedMs[Math.min(sortedMs.length, Math.max(1, rank)) - 1] ?? 0;
}
