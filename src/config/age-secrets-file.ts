/**
 * The age format, as Slipway uses it for an environment's encrypted secrets file: the `age-encryption` package,
 * loaded only when a file is read or written (most runs never need it). Files are written ASCII-armored (text that
 * git diffs and merges as a whole); binary files, as `age -e` writes them without `-a`, are read too.
 */

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
/** The first line of every age file (once unarmored). */
const AGE_HEADER = 'age-encryption.org/';

/** An identity file's lines, or the first line that is not an identity (its number only: never its text). */
export type ParsedAgeIdentities =
  | { kind: 'identities'; identities: string[] }
  | { kind: 'not-an-identity'; line: number; plugin: boolean }
  | { kind: 'empty' };

/**
 * Pure. An identity file as age-keygen writes it: `AGE-SECRET-KEY-1…` lines (any number: one per key that may
 * decrypt), `#` comments and blank lines. Plugin identities (`AGE-PLUGIN-…`) need the age CLI's plugins.
 */
export function parseAgeIdentities(text: string): ParsedAgeIdentities {
  const identities: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!/^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(line)) {
      return { kind: 'not-an-identity', line: index + 1, plugin: line.startsWith('AGE-PLUGIN-') };
    }
    identities.push(line);
  }
  return identities.length === 0 ? { kind: 'empty' } : { kind: 'identities', identities };
}

export type DecryptedAgeFile =
  | { kind: 'decrypted'; text: string }
  /** None of the identities is a recipient of the file. */
  | { kind: 'no-match' }
  /** An identity line that is not a valid key (a bad checksum, a truncated line): its position in the list. */
  | { kind: 'bad-identity'; index: number }
  /**
   * Not an age file (no age header: plaintext committed by mistake, say), or a damaged one. Never the library's
   * words: they may quote the file's first line.
   */
  | { kind: 'damaged'; reason: 'not-age' | 'damaged' }
  | { kind: 'not-text' };

/** Decrypts an age file (armored or binary) with any of `identities`. */
export async function decryptAgeFile(
  file: Uint8Array,
  identities: readonly string[],
): Promise<DecryptedAgeFile> {
  const age = await import('age-encryption');
  for (const [index, identity] of identities.entries()) {
    try {
      await age.identityToRecipient(identity);
    } catch {
      return { kind: 'bad-identity', index };
    }
  }
  let binary: Uint8Array;
  try {
    binary = isArmored(file) ? age.armor.decode(new TextDecoder().decode(file)) : file;
  } catch {
    return { kind: 'damaged', reason: 'damaged' };
  }
  const decrypter = new age.Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  let plain: Uint8Array;
  try {
    plain = await decrypter.decrypt(binary);
  } catch (error) {
    if (/no identity matched/i.test(messageOf(error))) return { kind: 'no-match' };
    return { kind: 'damaged', reason: startsWith(binary, AGE_HEADER) ? 'damaged' : 'not-age' };
  }
  try {
    return { kind: 'decrypted', text: new TextDecoder('utf-8', { fatal: true }).decode(plain) };
  } catch {
    return { kind: 'not-text' };
  }
}

/** `text` encrypted to every recipient, armored. Throws for a recipient that is not one (its checksum, say). */
export async function encryptAgeText(text: string, recipients: readonly string[]): Promise<string> {
  const age = await import('age-encryption');
  const encrypter = new age.Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  return age.armor.encode(await encrypter.encrypt(text));
}

/** The recipient (public key, `age1…`) of an identity; undefined for a line that is not a valid identity. */
export async function recipientOfAgeIdentity(identity: string): Promise<string | undefined> {
  const age = await import('age-encryption');
  try {
    return await age.identityToRecipient(identity);
  } catch {
    return undefined;
  }
}

/** A new X25519 identity (what age-keygen makes; every age tool reads it) and its recipient. */
export async function generateAgeIdentity(): Promise<{ identity: string; recipient: string }> {
  const age = await import('age-encryption');
  const identity = await age.generateX25519Identity();
  return { identity, recipient: await age.identityToRecipient(identity) };
}

function isArmored(file: Uint8Array): boolean {
  return new TextDecoder().decode(file.subarray(0, 64)).trimStart().startsWith(ARMOR_BEGIN);
}

function startsWith(file: Uint8Array, text: string): boolean {
  return new TextDecoder().decode(file.subarray(0, text.length)) === text;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
