import { describe, expect, it } from 'vitest';
import { signWebhookBody, verifyWebhookSignature } from './verify-signature.js';

// The example from GitHub's documentation on validating webhook deliveries.
const KEY = "It's a Secret to Everybody";
const BODY = Buffer.from('Hello, World!');
const GITHUB_EXAMPLE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('verifyWebhookSignature', () => {
  it('signs like GitHub', () => {
    expect(signWebhookBody(KEY, BODY)).toBe(GITHUB_EXAMPLE);
  });

  it.each([
    [GITHUB_EXAMPLE, { ok: true }],
    [GITHUB_EXAMPLE.toUpperCase().replace('SHA256', 'sha256'), { ok: true }],
    [undefined, { ok: false, reason: 'unsigned' }],
    ['', { ok: false, reason: 'unsigned' }],
    ['sha1=757107ea0eb2509fc211221cce984b8a37570b6d', { ok: false, reason: 'malformed' }],
    ['sha256=abc', { ok: false, reason: 'malformed' }],
    [GITHUB_EXAMPLE.replace('757107', '757108'), { ok: false, reason: 'mismatch' }],
  ])('%s → %j', (header, expected) => {
    expect(verifyWebhookSignature(KEY, BODY, header)).toEqual(expected);
  });

  it('refuses a body changed after signing', () => {
    expect(verifyWebhookSignature(KEY, Buffer.from('Hello, World?'), GITHUB_EXAMPLE)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });
});
