import type { Clock } from '../../core/clock.js';
import type { Store } from '../../store/index.js';
import { hashApiToken, TOKEN_PREFIX } from './api-token.js';
import type { Principal } from './principal.js';

/** The token of an `Authorization: Bearer <token>` header, if it has one. */
export function bearerTokenOf(authorization: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] ?? null;
}

/**
 * The principal of an API token, or null when the token is unknown, revoked or expired (the caller answers
 * 401 without saying which, so that a probe learns nothing).
 */
export async function authenticateApiToken(
  store: Store,
  clock: Clock,
  token: string,
): Promise<Principal | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const record = await store.findApiTokenByHash(hashApiToken(token));
  const now = clock.nowMs();
  if (!record || record.revokedAtMs !== null) return null;
  if (record.expiresAtMs !== null && record.expiresAtMs <= now) return null;
  // Last use is for people auditing tokens; a minute's precision is enough and spares a write per request.
  if (record.lastUsedAtMs === null || now - record.lastUsedAtMs > 60_000) {
    await store.touchApiToken(record.id, now);
  }
  return { name: record.subject, grants: record.grants, via: 'token' };
}
