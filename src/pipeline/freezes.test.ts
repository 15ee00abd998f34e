import { describe, expect, it } from 'vitest';
import { deriveActiveFreeze } from './freezes.js';
import { parsePointInTime } from './zoned-time.js';

const at = (iso: string): number => Date.parse(iso);

describe('points in time', () => {
  it.each([
    ['a date is its midnight', '2026-12-24', 'Europe/Berlin', '2026-12-23T23:00:00Z'],
    ['local time in winter', '2026-12-24 18:00', 'Europe/Berlin', '2026-12-24T17:00:00Z'],
    ['local time in summer', '2026-07-01 18:00', 'Europe/Berlin', '2026-07-01T16:00:00Z'],
    ['an offset wins over the zone', '2026-12-24T18:00:00+01:00', 'America/New_York', '2026-12-24T17:00:00Z'],
    ['Z', '2026-12-24T17:00:00Z', 'Europe/Berlin', '2026-12-24T17:00:00Z'],
    [
      'skipped hour (spring) reads with the old offset',
      '2026-03-29 02:30',
      'Europe/Berlin',
      '2026-03-29T01:30:00Z',
    ],
    [
      'repeated hour (autumn) is its first occurrence',
      '2026-10-25 02:30',
      'Europe/Berlin',
      '2026-10-25T00:30:00Z',
    ],
    ['New York, skipped', '2026-03-08 02:30', 'America/New_York', '2026-03-08T07:30:00Z'],
    ['New York, repeated', '2026-11-01 01:30', 'America/New_York', '2026-11-01T05:30:00Z'],
    [
      'southern hemisphere (Sydney in January, UTC+11)',
      '2027-01-10 09:00',
      'Australia/Sydney',
      '2027-01-09T22:00:00Z',
    ],
  ])('%s', (_name, text, zone, iso) => {
    expect(parsePointInTime(text, zone)).toBe(at(iso));
  });

  it.each(['2026-13-01', '2026-12-24 25:00', 'tomorrow', '2026-12-24 18'])('refuses %s', (text) => {
    expect(parsePointInTime(text, 'UTC')).toBeUndefined();
  });
});

describe('freezes', () => {
  const yearEnd = { name: 'year-end', from: '2026-12-20', to: '2027-01-04 09:00', timezone: 'Europe/Berlin' };
  const launch = {
    name: 'launch',
    from: '2026-12-30T00:00:00Z',
    to: '2027-01-10T00:00:00Z',
    timezone: 'UTC',
  };

  it.each([
    ['before it', [yearEnd], '2026-12-19T22:59:59Z', null],
    ['its first instant (from is included)', [yearEnd], '2026-12-19T23:00:00Z', 'year-end'],
    ['inside', [yearEnd], '2026-12-25T12:00:00Z', 'year-end'],
    ['one ms before its end', [yearEnd], '2027-01-04T07:59:59.999Z', 'year-end'],
    ['its end (to is excluded)', [yearEnd], '2027-01-04T08:00:00Z', null],
    ['overlapping: the one that ends last', [yearEnd, launch], '2027-01-02T00:00:00Z', 'launch'],
    ['after the first, inside the second', [yearEnd, launch], '2027-01-05T00:00:00Z', 'launch'],
    ['no freezes', [], '2027-01-02T00:00:00Z', null],
  ])('%s', (_name, freezes, iso, name) => {
    expect(deriveActiveFreeze(freezes, at(iso))?.name ?? null).toBe(name);
  });
});
