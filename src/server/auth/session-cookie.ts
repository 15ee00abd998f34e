import { SESSION_COOKIE } from './auth-policy.js';

/**
 * The Set-Cookie value of a session: HttpOnly (no script reads it), SameSite=Strict (no other site sends it),
 * Path=/, Max-Age so it ends with the session, and Secure when the request came over https.
 */
export function formatSessionCookie(options: {
  sessionId: string;
  maxAgeMs: number;
  secure: boolean;
}): string {
  const parts = [
    `${SESSION_COOKIE}=${options.sessionId}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeMs / 1000))}`,
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Clears the cookie in the browser (logout, or a session that ended). */
export function formatClearedSessionCookie(secure: boolean): string {
  return formatSessionCookie({ sessionId: '', maxAgeMs: 0, secure });
}
