import { describe, expect, it } from 'vitest';
import { DEFAULT_AUTH_POLICY } from './auth-policy.js';
import { deriveSessionState } from './session-expiry.js';

const H = 3_600_000;
const T = 1_700_000_000_000;

describe('deriveSessionState', () => {
  const table: Array<[string, { createdAtMs: number; lastSeenAtMs: number }, number, string]> = [
    ['just made', { createdAtMs: T, lastSeenAtMs: T }, T, 'live'],
    ['used an hour ago', { createdAtMs: T, lastSeenAtMs: T + 5 * H }, T + 6 * H, 'live'],
    ['unused for 12 h', { createdAtMs: T, lastSeenAtMs: T }, T + 12 * H, 'idle'],
    [
      'used a minute ago on day 7',
      { createdAtMs: T, lastSeenAtMs: T + 168 * H - 60_000 },
      T + 168 * H,
      'expired',
    ],
    ['used on day 6', { createdAtMs: T, lastSeenAtMs: T + 144 * H }, T + 150 * H, 'live'],
  ];
  it.each(table)('%s: %s', (_name, session, now, expected) => {
    expect(deriveSessionState(session, now, DEFAULT_AUTH_POLICY)).toBe(expected);
  });
});
