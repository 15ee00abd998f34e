import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A session id: 256 random bits, base64url. It lives only in the browser's cookie. */
export function generateSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** The store keeps only this, so a copy of the store does not log anyone in. */
export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('hex');
}

/**
 * The session's CSRF token, derived from its id (an HMAC keyed by the id): one per session, nothing more to
 * store, and neither the store's hash nor the token gives the id back. Another site can make the browser send
 * the cookie but cannot read this token, which the dashboard gets from GET /api/v1/session.
 */
export function deriveCsrfToken(sessionId: string): string {
  return createHmac('sha256', sessionId).update('slipway csrf token').digest('base64url');
}

/** Constant-time equality of two strings (false when the lengths differ; the length is not a secret here). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
