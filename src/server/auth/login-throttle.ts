import type { AuthPolicy } from './auth-policy.js';

/** Times (epoch ms) of recent failed logins, for the user name tried and for the client address. */
export interface LoginFailures {
  byUser: readonly number[];
  byAddress: readonly number[];
}

export type LoginThrottle =
  | { kind: 'allowed' }
  /** `retryAfterMs`: when the oldest failure that counts leaves the window, so that one more try is allowed. */
  | { kind: 'throttled'; scope: 'user' | 'address'; retryAfterMs: number };

type ThrottlePolicy = Pick<AuthPolicy, 'loginWindowMs' | 'loginFailuresPerUser' | 'loginFailuresPerAddress'>;

/**
 * Sliding window: a login is refused while `limit` or more failures happened within the last `loginWindowMs`.
 * It is allowed again once enough of them age out to leave `limit - 1`, i.e. when the `limit`-th newest failure
 * is `loginWindowMs` old.
 */
export function judgeLoginThrottle(
  failures: LoginFailures,
  nowMs: number,
  policy: ThrottlePolicy,
): LoginThrottle {
  const user = retryAfterMs(failures.byUser, policy.loginFailuresPerUser, nowMs, policy.loginWindowMs);
  const address = retryAfterMs(
    failures.byAddress,
    policy.loginFailuresPerAddress,
    nowMs,
    policy.loginWindowMs,
  );
  if (user === null && address === null) return { kind: 'allowed' };
  // Both can hold: answer with the longer wait, which is the one that matters to the client.
  if (address === null || (user !== null && user >= address)) {
    return { kind: 'throttled', scope: 'user', retryAfterMs: user ?? 0 };
  }
  return { kind: 'throttled', scope: 'address', retryAfterMs: address };
}

/** Whether the failure just recorded is the one that starts a throttle (for one ledger event per burst). */
export function startsThrottle(countInWindowIncludingThis: number, limit: number): boolean {
  return countInWindowIncludingThis === limit;
}

function retryAfterMs(
  times: readonly number[],
  limit: number,
  nowMs: number,
  windowMs: number,
): number | null {
  const recent = times.filter((t) => t > nowMs - windowMs && t <= nowMs).sort((a, b) => b - a);
  const blocking = recent[limit - 1];
  if (blocking === undefined) return null;
  return blocking + windowMs - nowMs;
}
