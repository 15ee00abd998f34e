import { describe, expect, it } from 'vitest';
import { judgeLoginThrottle, startsThrottle } from './login-throttle.js';

const MIN = 60_000;
const policy = { loginWindowMs: 15 * MIN, loginFailuresPerUser: 5, loginFailuresPerAddress: 20 };
const T = 1_000_000_000;
const times = (count: number, start: number, stepMs: number) =>
  Array.from({ length: count }, (_, i) => start + i * stepMs);

describe('judgeLoginThrottle', () => {
  it('allows fewer failures than the limit', () => {
    expect(judgeLoginThrottle({ byUser: times(4, T, MIN), byAddress: [] }, T + 5 * MIN, policy)).toEqual({
      kind: 'allowed',
    });
  });

  it('refuses at the limit until the oldest counting failure leaves the window', () => {
    const byUser = times(5, T, MIN); // T, T+1m, …, T+4m
    expect(judgeLoginThrottle({ byUser, byAddress: [] }, T + 5 * MIN, policy)).toEqual({
      kind: 'throttled',
      scope: 'user',
      retryAfterMs: 10 * MIN, // T + 15m - (T + 5m)
    });
    expect(judgeLoginThrottle({ byUser, byAddress: [] }, T + 15 * MIN - 1, policy)).toMatchObject({
      retryAfterMs: 1,
    });
    expect(judgeLoginThrottle({ byUser, byAddress: [] }, T + 15 * MIN, policy)).toEqual({ kind: 'allowed' });
  });

  it('counts only the newest failures: with more than the limit the wait is set by the limit-th newest', () => {
    const byUser = times(8, T, MIN); // the 5th newest is T+3m
    expect(judgeLoginThrottle({ byUser, byAddress: [] }, T + 8 * MIN, policy)).toMatchObject({
      retryAfterMs: 10 * MIN, // T + 3m + 15m - (T + 8m)
    });
  });

  it('ignores failures older than the window and ones in the future (a clock step)', () => {
    const byUser = [T - 16 * MIN, T - 15 * MIN, T - MIN, T, T + MIN, T + 60 * MIN];
    expect(judgeLoginThrottle({ byUser, byAddress: [] }, T + 2 * MIN, policy)).toEqual({ kind: 'allowed' });
  });

  it('throttles an address that sprays many names, and answers the longer of two waits', () => {
    const byAddress = times(20, T, 10_000);
    expect(judgeLoginThrottle({ byUser: [], byAddress }, T + 200_000, policy)).toEqual({
      kind: 'throttled',
      scope: 'address',
      retryAfterMs: 15 * MIN - 200_000,
    });
    const byUser = times(5, T + 100_000, 1000);
    expect(judgeLoginThrottle({ byUser, byAddress }, T + 200_000, policy)).toMatchObject({
      scope: 'user',
      retryAfterMs: T + 100_000 + 15 * MIN - (T + 200_000),
    });
  });
});

describe('startsThrottle', () => {
  it('is true once per burst: for the failure that reaches the limit', () => {
    expect([3, 4, 5, 6, 7].map((n) => startsThrottle(n, 5))).toEqual([false, false, true, false, false]);
  });
});
