import type { MetricSampleRecord } from '../store/index.js';
import type { AlertMetric } from '../config/alert-condition.js';
import { SERIES } from './sample-rows.js';

export type AlertValues = Record<AlertMetric, number | null>;

export interface ProbeFacts {
  latencyMs: number | null;
  consecutiveFailures: number;
}

/**
 * The value of every alert metric over an environment's raw samples in the window (pure). A metric without
 * samples in the window is null: "no data" is not zero, and an alert on it neither fires nor resolves.
 */
export function deriveAlertValues(
  windowSamples: readonly MetricSampleRecord[],
  probe: ProbeFacts | null,
): AlertValues {
  const by = (metric: string): MetricSampleRecord[] => windowSamples.filter((s) => s.metric === metric);
  const rps = by(SERIES.rps);
  const eps = by(SERIES.eps);
  // Rates are per second over equal sampling intervals: summing them weighs every interval alike.
  const totalRequests = sum(rps);
  const totalErrors = sum(eps);
  return {
    errorRate: totalRequests > 0 ? round2((100 * totalErrors) / totalRequests) : null,
    p99: maxOf(by(SERIES.p99)),
    requestRate: rps.length > 0 ? round2(sum(rps) / distinctTimes(rps)) : null,
    cpu: latestMaxPerHost(by(SERIES.cpu)),
    memory: latestMaxPerHost(by(SERIES.memory)),
    disk: latestMaxPerHost(by(SERIES.disk)),
    load: latestMaxPerHost(by(SERIES.load1)),
    restarts: restartsIn(by(SERIES.restarts)),
    probeLatency: probe?.latencyMs ?? null,
    probeFailures: probe ? probe.consecutiveFailures : null,
    // From the ledger, not from samples: the monitoring round fills it in (run-monitor-round.ts).
    jobFailures: null,
  };
}

function sum(rows: readonly MetricSampleRecord[]): number {
  return rows.reduce((total, r) => total + r.value, 0);
}

/** Samples of several hosts and releases share a time: a rate per time is their sum. */
function distinctTimes(rows: readonly MetricSampleRecord[]): number {
  return new Set(rows.map((r) => `${r.host}\u0000${r.atMs}`)).size || 1;
}

function maxOf(rows: readonly MetricSampleRecord[]): number | null {
  return rows.length === 0 ? null : Math.max(...rows.map((r) => r.value));
}

/** The busiest host now: each host's newest sample, then the highest of those. */
function latestMaxPerHost(rows: readonly MetricSampleRecord[]): number | null {
  const latest = new Map<string, MetricSampleRecord>();
  for (const r of rows) {
    const seen = latest.get(r.host);
    if (!seen || r.atMs > seen.atMs) latest.set(r.host, r);
  }
  return latest.size === 0 ? null : Math.max(...[...latest.values()].map((r) => r.value));
}

/** Restarts in the window: per target, how far its restart counter rose (it only grows while the target lives). */
export function restartsIn(rows: readonly MetricSampleRecord[]): number | null {
  if (rows.length === 0) return null;
  const range = new Map<string, { min: number; max: number }>();
  for (const r of rows) {
    const key = `${r.host}\u0000${r.subject}`;
    const seen = range.get(key);
    range.set(
      key,
      seen
        ? { min: Math.min(seen.min, r.value), max: Math.max(seen.max, r.value) }
        : { min: r.value, max: r.value },
    );
  }
  let total = 0;
  for (const { min, max } of range.values()) total += max - min;
  return total;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
