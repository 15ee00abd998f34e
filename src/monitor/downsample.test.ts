import { describe, expect, it } from 'vitest';
import type { MetricSampleRecord } from '../store/index.js';
import { deriveRetentionCutoffs, downsampleRows, MINUTE_MS } from './downsample.js';

const row = (atMs: number, value: number, metric = 'host.cpu'): MetricSampleRecord => ({
  app: 'a',
  environment: 'e',
  host: 'h',
  metric,
  subject: '',
  resolution: 'raw',
  atMs,
  value,
});

describe('downsampleRows', () => {
  it('averages per series and minute, and leaves an empty minute empty', () => {
    const rows = [row(0, 10), row(30_000, 20), row(59_999, 30), row(180_000, 5), row(10_000, 1, 'host.disk')];
    expect(downsampleRows(rows, MINUTE_MS, '1m')).toEqual([
      { ...row(0, 20), resolution: '1m' },
      { ...row(180_000, 5), resolution: '1m' },
      { ...row(0, 1, 'host.disk'), resolution: '1m' },
    ]);
  });
});

describe('deriveRetentionCutoffs', () => {
  it('puts the cutoffs on bucket boundaries', () => {
    const now = 10 * 3_600_000 + 123_456;
    const cut = deriveRetentionCutoffs(now, {
      rawMs: 3_600_000,
      minuteMs: 86_400_000 / 24,
      tenMinutesMs: 7_200_000,
    });
    expect(cut.rawCutoff % MINUTE_MS).toBe(0);
    expect(cut.rawCutoff).toBeLessThanOrEqual(now - 3_600_000);
    expect(now - 3_600_000 - cut.rawCutoff).toBeLessThan(MINUTE_MS);
    expect(cut.minuteCutoff % 600_000).toBe(0);
    expect(cut.dropCutoff).toBe(now - 7_200_000);
  });
});
