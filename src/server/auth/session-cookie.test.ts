import { describe, expect, it } from 'vitest';
import { formatClearedSessionCookie, formatSessionCookie } from './session-cookie.js';

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Strict, Path=/ and lasts as long as the session', () => {
    const cookie = formatSessionCookie({ sessionId: 'abc', maxAgeMs: 7 * 86_400_000, secure: false });
    expect(cookie.split('; ')).toEqual([
      'slipway_session=abc',
      'Path=/',
      'HttpOnly',
      'SameSite=Strict',
      'Max-Age=604800',
    ]);
  });

  it('is Secure over https', () => {
    expect(formatSessionCookie({ sessionId: 'abc', maxAgeMs: 1000, secure: true }).split('; ')).toContain(
      'Secure',
    );
  });

  it('is emptied with Max-Age=0 on logout', () => {
    expect(formatClearedSessionCookie(true)).toBe(
      'slipway_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure',
    );
  });
});
