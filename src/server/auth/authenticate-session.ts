import type { Clock } from '../../core/clock.js';
import type { Store } from '../../store/index.js';
import type { AuthPolicy } from './auth-policy.js';
import type { Principal } from './principal.js';
import { deriveSessionState } from './session-expiry.js';
import { hashSessionId } from './session-secret.js';

/**
 * The principal of a session cookie, or null when the session is unknown, idle too long or too old (an ended
 * session is deleted on the way). The user's grants are read afresh, so a changed role applies at once.
 */
export async function authenticateSession(
  store: Store,
  clock: Clock,
  policy: AuthPolicy,
  sessionId: string,
): Promise<Principal | null> {
  const idHash = hashSessionId(sessionId);
  const session = await store.findSession(idHash);
  if (!session) return null;
  const now = clock.nowMs();
  if (deriveSessionState(session, now, policy) !== 'live') {
    await store.deleteSession(idHash);
    return null;
  }
  const user = await store.findUser(session.userName);
  if (!user) return null;
  if (now - session.lastSeenAtMs >= policy.sessionTouchIntervalMs) await store.touchSession(idHash, now);
  return { name: user.name, grants: user.grants, via: 'session' };
}
