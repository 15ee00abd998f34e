import type { MetricSampleRecord, SampleResolution } from '../store/index.js';

export const MINUTE_MS = 60_000;
export const TEN_MINUTES_MS = 600_000;

/**
 * Averages samples into buckets of `bucketMs` (aligned to the epoch), one row per series and bucket, stamped
 * with the bucket's start. Pure. A bucket without samples gets no row: downsampling keeps gaps as gaps.
 */
export function downsampleRows(
  rows: readonly MetricSampleRecord[],
  bucketMs: number,
  resolution: SampleResolution,
): MetricSampleRecord[] {
  const buckets = new Map<string, { row: MetricSampleRecord; sum: number; n: number }>();
  for (const r of rows) {
    const atMs = Math.floor(r.atMs / bucketMs) * bucketMs;
    const key = [r.app, r.environment, r.host, r.metric, r.subject, atMs].join('\u0000');
    const b = buckets.get(key);
    if (b) {
      b.sum += r.value;
      b.n += 1;
    } else buckets.set(key, { row: { ...r, atMs, resolution }, sum: r.value, n: 1 });
  }
  return [...buckets.values()].map(({ row, sum, n }) => ({ ...row, value: sum / n }));
}

export interface RetentionMs {
  rawMs: number;
  minuteMs: number;
  tenMinutesMs: number;
}

/**
 * Where each resolution ends (pure): raw samples older than `rawCutoff` become 1-minute averages, those older
 * than `minuteCutoff` 10-minute averages, and those older than `dropCutoff` go. Cutoffs fall on bucket
 * boundaries so that a bucket is always averaged from all of its samples at once.
 */
export function deriveRetentionCutoffs(nowMs: number, r: RetentionMs) {
  return {
    rawCutoff: Math.floor((nowMs - r.rawMs) / MINUTE_MS) * MINUTE_MS,
    minuteCutoff: Math.floor((nowMs - r.minuteMs) / TEN_MINUTES_MS) * TEN_MINUTES_MS,
    dropCutoff: nowMs - r.tenMinutesMs,
  };
}
