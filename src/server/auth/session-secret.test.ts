import { describe, expect, it } from 'vitest';
import { deriveCsrfToken, generateSessionId, hashSessionId, safeEqual } from './session-secret.js';

describe('session secrets', () => {
  it('makes 256-bit ids, stored only as their SHA-256', () => {
    const id = generateSessionId();
    expect(Buffer.from(id, 'base64url')).toHaveLength(32);
    expect(generateSessionId()).not.toBe(id);
    expect(hashSessionId(id)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSessionId(id)).not.toContain(id);
  });

  it('derives one CSRF token per session, unlike the id and its stored hash', () => {
    const id = generateSessionId();
    const csrf = deriveCsrfToken(id);
    expect(deriveCsrfToken(id)).toBe(csrf);
    expect(deriveCsrfToken(generateSessionId())).not.toBe(csrf);
    expect(csrf).not.toBe(id);
    expect(csrf).not.toBe(hashSessionId(id));
  });
});

describe('safeEqual (CSRF comparison)', () => {
  const table: Array<[string, string, boolean]> = [
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'ab', false],
    ['', 'abc', false],
    ['', '', true],
    ['é', 'e\u0301', false],
  ];
  it.each(table)('%j = %j: %s', (a, b, expected) => {
    expect(safeEqual(a, b)).toBe(expected);
  });
});
