import { describe, expect, it } from 'vitest';
import { encryptedSecretsSchema } from './encrypted-secrets-schema.js';

const RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

describe('encryptedSecretsSchema', () => {
  it('takes a path in the repository, recipients and an identity path outside it', () => {
    const value = {
      path: 'secrets/production.env.age',
      recipients: [RECIPIENT],
      identity: '~/.age/shop.key',
    };
    expect(encryptedSecretsSchema.parse(value)).toEqual(value);
    expect(encryptedSecretsSchema.parse({ ...value, identity: '/etc/slipway/shop.key' })).toBeTruthy();
    // A post-quantum hybrid recipient (age 1.3) is one too.
    expect(
      encryptedSecretsSchema.safeParse({ ...value, recipients: [`age1pq1${'q'.repeat(60)}`] }).success,
    ).toBe(true);
  });

  it.each([
    ['a path above the repository', { path: '../secrets.age' }, 'not above it'],
    ['an absolute path', { path: '/etc/secrets.age' }, 'not an absolute one'],
    ['no recipient', { recipients: [] }, '>=1'],
    ['a recipient that is not one', { recipients: ['ssh-ed25519 AAAA'] }, 'expected an age recipient'],
    ['an identity inside the repository', { identity: 'keys/shop.key' }, 'keep it out of the repository'],
  ])('refuses %s', (_case, change, message) => {
    const result = encryptedSecretsSchema.safeParse({
      path: 'secrets/production.env.age',
      recipients: [RECIPIENT],
      ...change,
    });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(message);
  });
});
