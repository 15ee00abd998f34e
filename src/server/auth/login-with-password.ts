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

/**
 * Checks a name and password and opens a session. Failures are counted in the store per name and per client
 * address; past the limit, logins are refused (without checking the password) until old failures leave the
 * window. The failure that starts a throttle is recorded once in the ledger as `auth.login-throttled`.
 */
export async function loginWithPassword(
  context: Omit<AuthContext, 'actor'>,
  policy: AuthPolicy,
  request: { user: string; password: string; address: string },
): Promise<LoginOutcome> {
  const { store, clock } = context;
  const now = clock.nowMs();
  const since = now - policy.loginWindowMs;
  const throttle = judgeLoginThrottle(
    {
      byUser: await store.listLoginFailureTimes({ userName: request.user, sinceMs: since }),
      byAddress: await store.listLoginFailureTimes({ address: request.address, sinceMs: since }),
    },
    now,
    policy,
  );
  if (throttle.kind === 'throttled') return { kind: 'throttled', retryAfterMs: throttle.retryAfterMs };

  const user = await store.findUser(request.user);
  // Verify against a dummy hash when the name is unknown, so that both failures take the same time.
  const matches = await verifyPassword(request.password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !matches) {
    await recordFailure(context, policy, request, now);
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

async function recordFailure(
  context: Omit<AuthContext, 'actor'>,
  policy: AuthPolicy,
  request: { user: string; address: string },
  now: number,
): Promise<void> {
  const { store } = context;
  await store.pruneLoginFailures(now - policy.loginWindowMs);
  await store.recordLoginFailure({
    id: randomBytes(12).toString('hex'),
    userName: request.user,
    address: request.address,
    atMs: now,
  });
  const since = now - policy.loginWindowMs;
  const byUser = (await store.listLoginFailureTimes({ userName: request.user, sinceMs: since })).length;
  const byAddress = (await store.listLoginFailureTimes({ address: request.address, sinceMs: since })).length;
  const scopes = [
    ...(startsThrottle(byUser, policy.loginFailuresPerUser) ? ['user'] : []),
    ...(startsThrottle(byAddress, policy.loginFailuresPerAddress) ? ['address'] : []),
  ];
  if (scopes.length === 0) return;
  await recordAuthEvent(
    { ...context, actor: `anonymous@${request.address}` },
    'auth.login-throttled',
    `logins ${scopes.includes('user') ? `as ${request.user}` : `from ${request.address}`} throttled after repeated failures`,
    {
      user: request.user,
      address: request.address,
      scopes,
      failuresByUser: byUser,
      failuresByAddress: byAddress,
    },
  );
}
