import { describe, expect, it } from 'vitest';
import { useTempStores } from '../../store/test-fixtures.js';
import {
  createApiTokenFor,
  formatTokenTime,
  MAX_TOKEN_EXPIRY_MS,
  parseTokenExpiry,
  TokenExpiryError,
} from './manage-api-tokens.js';
import { parseGrant } from './roles.js';

const D = 86_400_000;

describe('parseTokenExpiry', () => {
  it.each([
    ['90d', 90 * D],
    ['12h', 12 * 3_600_000],
    ['1d12h', 1.5 * D],
    ['3650d', 3650 * D],
    ['87600h', 3650 * D],
  ])('takes %s', (text, ms) => {
    expect(parseTokenExpiry(text, 'expiresIn')).toBe(ms);
  });

  // [what, text, reason]
  it.each([
    [
      "the issue's 99999999999d",
      '99999999999d',
      'longer than 3650d (10 years), the longest a token may live',
    ],
    ['a day more than the longest', '3651d', 'longer than 3650d (10 years), the longest a token may live'],
    [
      'a number of 400 digits (Infinity)',
      `${'9'.repeat(400)}d`,
      'longer than 3650d (10 years), the longest a token may live',
    ],
    ['0d', '0d', 'a token must live for some time (e.g. 90d)'],
    ['what rounds to 0 ms', '0.0001ms', 'a token must live for some time (e.g. 90d)'],
    ['a word', 'soon', 'not a duration (e.g. 90d, 12h or 30m)'],
    ['a negative duration', '-1d', 'not a duration (e.g. 90d, 12h or 30m)'],
    ['an exponent', '1e3d', 'not a duration (e.g. 90d, 12h or 30m)'],
    ['nothing', '', 'not a duration (e.g. 90d, 12h or 30m)'],
  ])('refuses %s', (_what, text, reason) => {
    let error: unknown;
    try {
      parseTokenExpiry(text, 'expiresIn');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TokenExpiryError);
    expect(error).toMatchObject({ key: 'expiresIn', value: text, reason });
    expect((error as Error).message).toBe(`expiresIn "${text}" is invalid: ${reason}`);
  });
});

describe('formatTokenTime', () => {
  it.each([
    [null, '-'],
    [Date.UTC(2026, 0, 2, 3, 4, 5), '2026-01-02T03:04:05.000Z'],
    [8_640_001_796_498_955_000, 'invalid (8640001796498955000)'],
    [Infinity, 'invalid (Infinity)'],
    [NaN, 'invalid (NaN)'],
  ])('shows %s as %s', (ms, shown) => {
    expect(formatTokenTime(ms)).toBe(shown);
  });
});

describe('createApiTokenFor', () => {
  const stores = useTempStores('sqlite');

  it('refuses an expiry beyond the longest before anything is stored, and stores one at the longest', async () => {
    const store = await stores.open();
    const now = Date.UTC(2026, 0, 1);
    const context = { store, clock: { nowMs: () => now }, app: 'hello', actor: 'root' };
    const request = { subject: 'ci', description: '', grants: [parseGrant('viewer')] };
    for (const expiresInMs of [MAX_TOKEN_EXPIRY_MS + 1, 99_999_999_999 * D, Infinity, NaN, 0]) {
      await expect(createApiTokenFor(context, { ...request, expiresInMs })).rejects.toBeInstanceOf(
        TokenExpiryError,
      );
    }
    expect(await store.listApiTokens()).toEqual([]);
    expect(await store.listEvents({ app: 'hello', limit: 10 })).toEqual([]);

    const { record } = await createApiTokenFor(context, { ...request, expiresInMs: MAX_TOKEN_EXPIRY_MS });
    expect(formatTokenTime(record.expiresAtMs)).toBe('2035-12-30T00:00:00.000Z');
  });
});
