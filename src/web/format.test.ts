import { describe, expect, it } from 'vitest';
import { formatAgo, formatNumber, formatTime, toneOf } from './format.js';

describe('format', () => {
  it('writes a time as local date and time, zero-padded', () => {
    const ms = new Date(2026, 0, 2, 3, 4, 5).getTime();
    expect(formatTime(ms)).toBe('2026-01-02 03:04:05');
  });

  it('says how long ago', () => {
    expect(formatAgo(10_000, 10_400)).toBe('just now');
    expect(formatAgo(0, 90_000)).toBe('1m30s ago');
  });

  it.each([
    ['succeeded', 'good'],
    ['failed', 'bad'],
    ['running', 'busy'],
    ['waiting-for-approval', 'waiting'],
    ['something new', 'quiet'],
  ])('gives %s the tone %s', (word, tone) => {
    expect(toneOf(word)).toBe(tone);
  });

  it.each<[number | null, string]>([
    [null, '–'],
    [Number.NaN, '–'],
    [0, '0'],
    [0.1234, '0.12'],
    [12.345, '12.3'],
    [1234.5, '1235'],
  ])('formats %s as %s', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });
});
