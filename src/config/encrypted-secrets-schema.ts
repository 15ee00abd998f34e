import { z } from 'zod';
import { insidePathSchema } from './inside-path-schema.js';
import { hasNulByte, NUL_MESSAGE } from './string-checks.js';

/**
 * An age recipient as `age-keygen -y` prints it: `age1…` (X25519), `age1pq1…` (post-quantum hybrid), `age1tag1…`.
 * Lower-case bech32; the checksum is checked when a file is encrypted to it.
 */
export const AGE_RECIPIENT = /^age1[0-9a-z]{20,}$/;

/**
 * Where the identity (the private key) may be: an absolute path or one under the home directory (`~/…`). A path
 * relative to slipway.yml would point into the repository, where a private key must never be.
 */
export function checkIdentityPath(text: string): string | undefined {
  if (hasNulByte(text)) return NUL_MESSAGE;
  if (text.startsWith('/') || text.startsWith('~/')) return undefined;
  return 'expected an absolute path or one under ~/ (an identity is a private key: keep it out of the repository)';
}

export const encryptedSecretsSchema = z
  .strictObject({
    path: insidePathSchema('the directory of slipway.yml').describe(
      'The age-encrypted file, relative to slipway.yml, e.g. `secrets/production.env.age`: `NAME=value` lines (the format of `.slipway/secrets/<environment>.env`) once decrypted. Commit it; `slipway secrets edit <environment>` changes it.',
    ),
    recipients: z
      .array(z.string().regex(AGE_RECIPIENT, 'expected an age recipient (age1…), as age-keygen -y prints it'))
      .min(1)
      .describe(
        'Public keys (`age1…`) the file is encrypted to: one per person or machine that deploys this environment. `slipway secrets edit` encrypts to exactly these.',
      ),
    identity: z
      .string()
      .superRefine((text, ctx) => {
        const problem = checkIdentityPath(text);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: text });
      })
      .optional()
      .describe(
        'The file of age identities (private keys, `AGE-SECRET-KEY-1…` lines, as age-keygen writes) that decrypts it, absolute or under `~/`; default `~/.config/slipway/age/<app>.key`. `SLIPWAY_AGE_IDENTITY` (the key itself, for a CI job) or `SLIPWAY_AGE_IDENTITY_FILE` in the environment of `slipway` override it.',
      ),
  })
  .describe(
    "An age-encrypted file of this environment's secret values, committed to the repository (see docs/secrets.md). It is decrypted once per CLI run or server job, in memory only.",
  );

export type EncryptedSecretsConfig = z.output<typeof encryptedSecretsSchema>;
