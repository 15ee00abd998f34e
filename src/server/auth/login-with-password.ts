import { randomBytes } from 'node:crypto';
import { recordAuthEvent, type AuthContext } from './auth-events.js';
import type { AuthPolicy } from './auth-policy.js';
import { judgeLoginThrottle, startsThrottle } from './login-throttle.js';
import { dummyPasswordHash, verifyPassword } from './password-hash.js';
import type { Principal } from './principal.js';
import { generateSessionId, hashSessionId } from './session-secret.js';

export type LoginOutcome =
  | { kind: 'logged-in'; sessionId: string; principal: Principal; expiresAtMs: number }
  /** A wrong name and a wrong password are the same outcome, so answers cannot tell which names exist. */
  | { kind: 'refused' }
  | { kind: 'throttled'; retryAfterMs: number };

type LoginContext = Omit<AuthContext, 'actor'>;

/**
 * Checks a name and password and opens a session. Failures are counted in the store per name and per client
 * address; past the limit, logins are refused (without checking the password) until old failures leave the
 * window. The failure that starts a throttle is recorded once in the ledger as `auth.login-throttled`.
 *
 * Each attempt is written as a failure *before* the password is checked (and forgotten if it succeeds), so that
 * attempts racing in parallel, on one replica or several, see each other: at most `limit` get a guess.
 */
export async function loginWithPassword(
  context: LoginContext,
  policy: AuthPolicy,
  request: { user: string; password: string; address: string },
): Promise<LoginOutcome> {
  const { store, clock } = context;
  const now = clock.nowMs();
  const since = now - policy.loginWindowMs;
  await store.pruneLoginFailures(since);
  const attempt = {
    id: randomBytes(12).toString('hex'),
    userName: request.user,
    address: request.address,
    atMs: now,
  };
  await store.recordLoginFailure(attempt);
  const byUser = withoutOne(
    await store.listLoginFailureTimes({ userName: request.user, sinceMs: since }),
    now,
  );
  const byAddress = withoutOne(
    await store.listLoginFailureTimes({ address: request.address, sinceMs: since }),
    now,
  );

  const throttle = judgeLoginThrottle({ byUser, byAddress }, now, policy);
  if (throttle.kind === 'throttled') {
    // A refused attempt is no guess, so it does not count (else a throttle would extend itself for ever).
    await store.deleteLoginFailure(attempt.id);
    return { kind: 'throttled', retryAfterMs: throttle.retryAfterMs };
  }

  const user = await store.findUser(request.user);
  // Verify against a dummy hash when the name is unknown, so that both failures take the same time.
  const matches = await verifyPassword(request.password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !matches) {
    await recordThrottleStart(context, policy, request, byUser.length + 1, byAddress.length + 1);
    return { kind: 'refused' };
  }

  await store.clearLoginFailuresOfUser(user.name);
  await store.deleteStaleSessions({
    createdBeforeMs: now - policy.sessionAbsoluteTimeoutMs,
    lastSeenBeforeMs: now - policy.sessionIdleTimeoutMs,
  });
  const sessionId = generateSessionId();
  await store.createSession({
    idHash: hashSessionId(sessionId),
    userName: user.name,
    createdAtMs: now,
    lastSeenAtMs: now,
  });
  return {
    kind: 'logged-in',
    sessionId,
    principal: { name: user.name, grants: user.grants, via: 'session' },
    expiresAtMs: now + policy.sessionAbsoluteTimeoutMs,
  };
}

/** One ledger event per burst: when this failure is the one that reaches a limit. */
async function recordThrottleStart(
  context: LoginContext,
  policy: AuthPolicy,
  request: { user: string; address: string },
  failuresByUser: number,
  failuresByAddress: number,
): Promise<void> {
  const scopes = [
    ...(startsThrottle(failuresByUser, policy.loginFailuresPerUser) ? ['user'] : []),
    ...(startsThrottle(failuresByAddress, policy.loginFailuresPerAddress) ? ['address'] : []),
  ];
  if (scopes.length === 0) return;
  await recordAuthEvent(
    { ...context, actor: `anonymous@${request.address}` },
    'auth.login-throttled',
    scopes.includes('user')
      ? `logins as ${request.user} throttled after ${failuresByUser} failures`
      : `logins from ${request.address} throttled after ${failuresByAddress} failures`,
    { user: request.user, address: request.address, scopes, failuresByUser, failuresByAddress },
  );
}

/** The times without one occurrence of `t` (our own attempt, just written). */
function withoutOne(times: number[], t: number): number[] {
  const i = times.lastIndexOf(t);
  return i === -1 ? times : [...times.slice(0, i), ...times.slice(i + 1)];
}
