import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.js';

/** The key of secret fingerprints, in the state directory (docs/secrets.md, "Which version ran"). */
export const FINGERPRINT_KEY_FILE = 'secret-fingerprint.key';
const KEY_BYTES = 32;

/**
 * The control plane's key for secret fingerprints: `<stateDir>/secret-fingerprint.key`, 32 random bytes made on
 * first use (mode 0600, never overwritten: two processes that race both end up reading the one written first).
 * It never leaves this machine; losing it only makes the next deployment's fingerprints incomparable.
 */
export async function loadFingerprintKey(stateDir: string): Promise<Buffer> {
  const file = join(stateDir, FINGERPRINT_KEY_FILE);
  await writeFile(file, randomBytes(KEY_BYTES), { flag: 'wx', mode: 0o600 }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw cannotUse(file, error);
    },
  );
  const key = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw cannotUse(file, error);
  });
  if (key.length !== KEY_BYTES) {
    throw new SlipwayError(`the secret fingerprint key ${file} is not ${KEY_BYTES} bytes long`, {
      hint: 'restore it from a backup, or remove it: a new key is made, and the next deployment compares with nothing',
    });
  }
  // A copy restored with a looser mode is tightened: the key is as sensitive as a fingerprint is not.
  await chmod(file, 0o600).catch(() => undefined);
  return key;
}

function cannotUse(file: string, error: NodeJS.ErrnoException): SlipwayError {
  return new SlipwayError(`cannot use the secret fingerprint key ${file}: ${error.message}`, {
    cause: error,
  });
}
