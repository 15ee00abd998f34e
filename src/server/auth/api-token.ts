import { createHash, randomBytes } from 'node:crypto';

/** Tokens look like `slp_<43 base64url chars>` (256 random bits) so that secret scanners can spot them. */
export const TOKEN_PREFIX = 'slp_';

export function generateApiToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * Only this hash is stored. A token has 256 random bits, so a plain SHA-256 is enough (no salt or slow hash
 * is needed against guessing), and a lookup by hash is one indexed query.
 */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
