import { describe, expect, it } from 'vitest';
import { backoffMs, decideRenewal, isServable, type RenewalDecision, type RenewalInput } from './renewal.js';

const H = 3600_000;
const D = 24 * H;
const names = ['shop.example.com', 'www.shop.example.com'];
/** A 90-day certificate from day 0: renewal is due on day 60. */
const cert = { names, notBeforeMs: 0, notAfterMs: 90 * D, revoked: false };
const policy = { renewAtFraction: 2 / 3, backoffMinMs: 60_000, backoffMaxMs: 6 * H };

const cases: [string, Omit<RenewalInput, 'policy'>, RenewalDecision][] = [
  ['none yet', { nowMs: 5 * D, names, current: null, failures: null }, { kind: 'obtain', reason: 'missing' }],
  [
    'fresh: keep, look again at two thirds',
    { nowMs: 1 * D, names, current: cert, failures: null },
    { kind: 'keep', renewAtMs: 60 * D },
  ],
  [
    'just before two thirds',
    { nowMs: 60 * D - 1, names, current: cert, failures: null },
    { kind: 'keep', renewAtMs: 60 * D },
  ],
  [
    'at two thirds',
    { nowMs: 60 * D, names, current: cert, failures: null },
    { kind: 'obtain', reason: 'due' },
  ],
  ['expired', { nowMs: 91 * D, names, current: cert, failures: null }, { kind: 'obtain', reason: 'expired' }],
  [
    'names in another order and case: the same',
    { nowMs: 1 * D, names: ['WWW.shop.example.com', 'shop.example.com'], current: cert, failures: null },
    { kind: 'keep', renewAtMs: 60 * D },
  ],
  [
    'a name added',
    { nowMs: 1 * D, names: [...names, 'api.shop.example.com'], current: cert, failures: null },
    { kind: 'obtain', reason: 'names-changed' },
  ],
  [
    'a name removed',
    { nowMs: 1 * D, names: names.slice(0, 1), current: cert, failures: null },
    { kind: 'obtain', reason: 'names-changed' },
  ],
  [
    'revoked, even when fresh',
    { nowMs: 1 * D, names, current: { ...cert, revoked: true }, failures: null },
    { kind: 'obtain', reason: 'revoked' },
  ],
  [
    'due, one failure a minute ago: back off 1 min',
    { nowMs: 61 * D, names, current: cert, failures: { count: 1, lastAtMs: 61 * D - 30_000 } },
    { kind: 'back-off', reason: 'due', retryAtMs: 61 * D + 30_000 },
  ],
  [
    'due, one failure, back-off passed',
    { nowMs: 61 * D, names, current: cert, failures: { count: 1, lastAtMs: 61 * D - 60_000 } },
    { kind: 'obtain', reason: 'due' },
  ],
  [
    'three failures: 4 min',
    { nowMs: 61 * D, names, current: cert, failures: { count: 3, lastAtMs: 61 * D - 60_000 } },
    { kind: 'back-off', reason: 'due', retryAtMs: 61 * D + 3 * 60_000 },
  ],
  [
    'missing, many failures: capped at 6 h',
    { nowMs: 10 * H, names, current: null, failures: { count: 40, lastAtMs: 5 * H } },
    { kind: 'back-off', reason: 'missing', retryAtMs: 11 * H },
  ],
  [
    'fresh with old failures: nothing to do',
    { nowMs: 1 * D, names, current: cert, failures: { count: 2, lastAtMs: 1 * D } },
    { kind: 'keep', renewAtMs: 60 * D },
  ],
  [
    'a 6-day certificate: due after 4 days',
    {
      nowMs: 4 * D,
      names,
      current: { ...cert, notBeforeMs: 0, notAfterMs: 6 * D },
      failures: null,
    },
    { kind: 'obtain', reason: 'due' },
  ],
];

describe('decideRenewal', () => {
  it.each(cases)('%s', (_name, input, expected) => {
    expect(decideRenewal({ ...input, policy })).toEqual(expected);
  });

  it('uses two thirds and a one-minute back-off by default', () => {
    expect(decideRenewal({ nowMs: 0, names, current: cert, failures: null })).toEqual({
      kind: 'keep',
      renewAtMs: 60 * D,
    });
    expect(backoffMs(1)).toBe(60_000);
    expect(backoffMs(2)).toBe(120_000);
    expect(backoffMs(100)).toBe(6 * H);
    expect(backoffMs(0)).toBe(0);
  });
});

describe('isServable', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');
  const stored = { names: ['shop.test', 'www.shop.test'], notAfter: '2026-07-01T00:00:00Z', revoked: false };
  it.each([
    ['good, same names in another order and case', stored, ['WWW.shop.test', 'shop.test'], true],
    ['none stored', null, ['shop.test'], false],
    ['revoked', { ...stored, revoked: true }, stored.names, false],
    ['expired', { ...stored, notAfter: '2026-05-31T23:59:59Z' }, stored.names, false],
    ['other names', stored, ['shop.test'], false],
  ])('%s', (_what, cert, names, want) => {
    expect(isServable(cert, names, now)).toBe(want);
  });
});
