import { describe, expect, it } from 'vitest';
import { parseTakeoverAfter } from './parse-takeover-after.js';

describe('parseTakeoverAfter', () => {
  it.each([
    ['15s', 15_000],
    ['1s', 1000],
    ['24d20h31m23s647ms', 2 ** 31 - 1],
  ])('%s → %i ms', (text, ms) => {
    expect(parseTakeoverAfter(text)).toBe(ms);
  });

  it.each([
    ['soon', 'expected a duration like "5m", "30s" or "500ms"'],
    ['500ms', 'expected at least 1s'],
    ['0s', 'expected a duration above 0'],
    // Its heartbeat timer (a third) overflowed Node's timers: the replica wrote its heartbeat without pause.
    ['90d', 'expected at most 24d20h31m23s647ms (2^31-1 ms, the longest a timer can wait)'],
  ])('refuses %s: %s', (text, why) => {
    expect(() => parseTakeoverAfter(text)).toThrow(
      `--takeover-after "${text}" is not a duration of 1s or more: ${why}`,
    );
  });
});
