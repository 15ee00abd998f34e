import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs } from './duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    [' 2s ', 2000],
  ])('%s → %d', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', '5', 'five minutes', '5 m', '-1s', 's', '1x'])('rejects %j', (text) =>
    expect(parseDurationMs(text)).toBeUndefined(),
  );
});

describe('formatDurationMs', () => {
  it.each([
    [12, '12ms'],
    [1500, '1.5s'],
    [2000, '2s'],
    [299_950, '5m'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_430_000, '1h31m'],
  ])('%d → %s', (ms, text) => expect(formatDurationMs(ms)).toBe(text));
});
