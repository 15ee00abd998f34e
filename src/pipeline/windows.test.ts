import { describe, expect, it } from 'vitest';
import { deriveStartAtMs, deriveWindowState, isWindowOpenAt } from './windows.js';

const at = (iso: string): number => Date.parse(iso);
const weekdays = { cron: '* 9-16 * * 1-5', timezone: 'Europe/Berlin' };

describe('deploy windows', () => {
  it.each([
    // 2026-11-26 is a Thursday; Berlin is UTC+1 in November.
    ['one second before the window', '2026-11-26T07:59:59Z', false],
    ['its first minute', '2026-11-26T08:00:00Z', true],
    ['its last second (16:59:59 Berlin)', '2026-11-26T15:59:59Z', true],
    ['the minute after it (17:00 Berlin, excluded)', '2026-11-26T16:00:00Z', false],
    ['a Saturday inside the hours', '2026-11-28T10:00:00Z', false],
    // In July Berlin is UTC+2: 09:00 Berlin is 07:00 UTC.
    ['summer time: 09:00 Berlin', '2026-07-02T07:00:00Z', true],
    ['summer time: 08:59 Berlin', '2026-07-02T06:59:00Z', false],
  ])('%s → open %s', (_name, iso, open) => {
    expect(isWindowOpenAt(weekdays, at(iso))).toBe(open);
  });

  it.each([
    ['no windows: always', [], '2026-11-26T03:00:00Z', { kind: 'always' }],
    ['inside', [weekdays], '2026-11-26T09:30:00Z', { kind: 'open', window: weekdays }],
    [
      'before it opens',
      [weekdays],
      '2026-11-26T06:10:00Z',
      { kind: 'closed', opensAtMs: at('2026-11-26T08:00:00Z') },
    ],
    [
      'Friday evening → Monday',
      [weekdays],
      '2026-11-27T18:00:00Z',
      { kind: 'closed', opensAtMs: at('2026-11-30T08:00:00Z') },
    ],
    [
      'the earliest of two windows',
      [weekdays, { cron: '0 22 * * *', timezone: 'America/New_York' }],
      '2026-11-27T18:00:00Z',
      { kind: 'closed', opensAtMs: at('2026-11-28T03:00:00Z') },
    ],
  ])('%s', (_name, windows, iso, state) => {
    expect(deriveWindowState(windows, at(iso))).toEqual(state);
  });

  it.each([
    // Berlin skips 02:00–03:00 on 2026-03-29: a window at 02:30 opens at 03:30 CEST (01:30 UTC) that night.
    ['spring forward: the skipped 02:30', '30 2 * * *', '2026-03-28T12:00:00Z', '2026-03-29T01:30:00Z'],
    // Berlin repeats 02:00–03:00 on 2026-10-25: croner matches the repeated minute once, in standard time.
    ['fall back: the repeated 02:30', '30 2 * * *', '2026-10-24T12:00:00Z', '2026-10-25T01:30:00Z'],
    ['fall back: not twice', '30 2 * * *', '2026-10-25T01:31:00Z', '2026-10-26T01:30:00Z'],
  ])('%s', (_name, cron, iso, opens) => {
    expect(deriveWindowState([{ cron, timezone: 'Europe/Berlin' }], at(iso))).toEqual({
      kind: 'closed',
      opensAtMs: at(opens),
    });
  });

  it.each([
    ['now, inside a window', null, '2026-11-26T09:30:00Z', '2026-11-26T09:30:00Z'],
    [
      'a time in the future inside a window',
      '2026-11-26T12:00:00Z',
      '2026-11-26T09:30:00Z',
      '2026-11-26T12:00:00Z',
    ],
    ['a time in the past runs now', '2026-11-26T01:00:00Z', '2026-11-26T09:30:00Z', '2026-11-26T09:30:00Z'],
    [
      'a time after the window waits for the next one',
      '2026-11-26T17:00:00Z',
      '2026-11-26T09:30:00Z',
      '2026-11-27T08:00:00Z',
    ],
  ])('start: %s', (_name, notBefore, now, start) => {
    expect(deriveStartAtMs([weekdays], notBefore ? at(notBefore) : null, at(now))).toBe(at(start));
  });

  it('without windows a deploy starts at its time', () => {
    expect(deriveStartAtMs([], at('2026-11-26T12:00:00Z'), at('2026-11-26T09:30:00Z'))).toBe(
      at('2026-11-26T12:00:00Z'),
    );
  });
});
