import { describe, expect, it } from 'vitest';
import { deriveDueTicks, MAX_DUE_TICKS } from './cron-ticks.js';

const everySecond = { expression: '* * * * * *', timezone: 'UTC' };
const everyMinute = { expression: '* * * * *', timezone: 'UTC' };

describe('deriveDueTicks', () => {
  it.each<[string, typeof everySecond, number | null, number, number, ReturnType<typeof deriveDueTicks>]>([
    [
      'a job seen first starts now: its first run is its next tick',
      everySecond,
      null,
      5_500,
      0,
      { run: [], missed: 0, cursor: 5_500 },
    ],
    ['the tick due now runs', everySecond, 5_000, 6_000, 0, { run: [6_000], missed: 0, cursor: 6_000 }],
    [
      'nothing due yet: the cursor stays',
      everySecond,
      6_000,
      6_900,
      0,
      { run: [], missed: 0, cursor: 6_000 },
    ],
    [
      'a late wake runs every tick since, in order',
      everySecond,
      5_000,
      8_200,
      0,
      { run: [6_000, 7_000, 8_000], missed: 0, cursor: 8_000 },
    ],
    [
      'ticks while no agent ran are missed, not caught up',
      everySecond,
      5_000,
      10_100,
      9_500,
      { run: [10_000], missed: 4, cursor: 10_000 },
    ],
    [
      'an agent started between two minutes: the minute missed, nothing due',
      everyMinute,
      60_000,
      150_000,
      140_000,
      { run: [], missed: 1, cursor: 140_000 },
    ],
    [
      'the clock went back: no tick runs twice, the cursor stays',
      everySecond,
      9_000,
      5_000,
      0,
      { run: [], missed: 0, cursor: 9_000 },
    ],
  ])('%s', (_name, schedule, cursor, now, startedAt, expected) => {
    expect(deriveDueTicks(schedule, cursor, now, startedAt)).toEqual(expected);
  });

  it(`runs at most ${MAX_DUE_TICKS} ticks at one wake; the rest count as missed`, () => {
    const due = deriveDueTicks(everySecond, 0, 1_000 * (MAX_DUE_TICKS + 50), 0);
    expect(due.run).toHaveLength(MAX_DUE_TICKS);
    expect(due.missed).toBe(50);
    expect(due.cursor).toBe(1_000 * (MAX_DUE_TICKS + 50));
  });
});
