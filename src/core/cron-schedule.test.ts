import { describe, expect, it } from 'vitest';
import { deriveNextTickMs, deriveTicksBetween, validateCronSchedule } from './cron-schedule.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

describe('deriveNextTickMs', () => {
  it.each([
    [
      'every second, from a whole second',
      '* * * * * *',
      'UTC',
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:01.000Z',
    ],
    [
      'every second, from inside a second',
      '* * * * * *',
      'UTC',
      '2026-01-01T00:00:00.400Z',
      '2026-01-01T00:00:01.000Z',
    ],
    ['every 5 seconds', '*/5 * * * * *', 'UTC', '2026-01-01T00:00:03.000Z', '2026-01-01T00:00:05.000Z'],
    [
      'five fields: whole minutes',
      '* * * * *',
      'UTC',
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:01:00.000Z',
    ],
    ['daily at 03:00 UTC', '0 3 * * *', 'UTC', '2026-01-01T03:00:00.000Z', '2026-01-02T03:00:00.000Z'],
    [
      'daily at 03:00 in Berlin (winter, UTC+1)',
      '0 3 * * *',
      'Europe/Berlin',
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
    ],
    [
      'daily at 03:00 in Berlin (summer, UTC+2)',
      '0 3 * * *',
      'Europe/Berlin',
      '2026-07-01T00:00:00.000Z',
      '2026-07-01T01:00:00.000Z',
    ],
    // 02:30 does not exist on 2026-03-29 in Berlin: it runs at 03:30 local (01:30Z), not skipped.
    [
      'a skipped local time runs after the jump',
      '30 2 * * *',
      'Europe/Berlin',
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T01:30:00.000Z',
    ],
    // 02:30 happens twice on 2026-10-25 in Berlin: it runs once.
    [
      'a repeated local time runs once',
      '30 2 * * *',
      'Europe/Berlin',
      '2026-10-25T01:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ],
    [
      'weekdays at 09:00 New York, from a Saturday',
      '0 9 * * 1-5',
      'America/New_York',
      '2026-01-03T12:00:00.000Z',
      '2026-01-05T14:00:00.000Z',
    ],
  ])('%s', (_name, expression, timezone, from, next) => {
    expect(iso(deriveNextTickMs({ expression, timezone }, at(from)))).toBe(next);
  });

  it('a date that never comes again: null', () => {
    expect(
      deriveNextTickMs({ expression: '0 0 0 30 2 *', timezone: 'UTC' }, at('2026-01-01T00:00:00Z')),
    ).toBeNull();
  });
});

describe('deriveTicksBetween', () => {
  const everySecond = { expression: '* * * * * *', timezone: 'UTC' };
  it.each([
    ['none in an empty range', 1000, 1000, 10, [], false],
    ['the end is included, the start not', 1000, 3000, 10, [2000, 3000], false],
    ['from inside a second', 1500, 3999, 10, [2000, 3000], false],
    ['at most max, the newest dropped', 0, 10_000, 3, [1000, 2000, 3000], true],
  ])('%s', (_name, after, upto, max, ticks, more) => {
    expect(deriveTicksBetween(everySecond, after, upto, max)).toEqual({ ticks, more });
  });
});

describe('validateCronSchedule', () => {
  it.each([
    ['five fields', '*/15 * * * *', 'UTC', null],
    ['six fields', '*/2 * * * * *', 'Europe/Berlin', null],
    ['too few fields', '* * *', 'UTC', 'expected five cron fields'],
    ['seven fields', '* * * * * * *', 'UTC', 'expected five cron fields'],
    ['a minute out of range', '61 * * * *', 'UTC', 'CronPattern'],
    ['a word', 'every minute please ok now', 'UTC', 'CronPattern'],
  ])('%s', (_name, expression, timezone, error) => {
    const found = validateCronSchedule({ expression, timezone });
    if (error === null) expect(found).toBeNull();
    else expect(found).toContain(error);
  });
});
