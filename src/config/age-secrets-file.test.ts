import { describe, expect, it } from 'vitest';
import {
  decryptAgeFile,
  encryptAgeText,
  generateAgeIdentity,
  parseAgeIdentities,
  recipientOfAgeIdentity,
} from './age-secrets-file.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('parseAgeIdentities', () => {
  it('takes AGE-SECRET-KEY lines, skipping comments and blank lines, as age-keygen writes them', () => {
    const text =
      '# created: 2026-12-07\n# public key: age1abc\n\nAGE-SECRET-KEY-1ABC\r\n  AGE-SECRET-KEY-1DEF  \n';
    expect(parseAgeIdentities(text)).toEqual({
      kind: 'identities',
      identities: ['AGE-SECRET-KEY-1ABC', 'AGE-SECRET-KEY-1DEF'],
    });
  });

  it.each([
    ['a stray line, by its number', '# key\nAGE-SECRET-KEY-1ABC\nhunter2\n', { line: 3, plugin: false }],
    ['a plugin identity', 'AGE-PLUGIN-YUBIKEY-1QQQ\n', { line: 1, plugin: true }],
    ['a lower-cased key', 'age-secret-key-1abc\n', { line: 1, plugin: false }],
  ])('refuses %s', (_case, text, where) => {
    expect(parseAgeIdentities(text)).toEqual({ kind: 'not-an-identity', ...where });
  });

  it('says when there is no identity at all', () => {
    expect(parseAgeIdentities('# nothing here\n\n')).toEqual({ kind: 'empty' });
  });
});

describe('encryptAgeText and decryptAgeFile', () => {
  it('round-trips text through an armored file for any of several recipients', async () => {
    const [a, b] = await Promise.all([generateAgeIdentity(), generateAgeIdentity()]);
    const armored = await encryptAgeText('A=1\nKEY="x\\ny"\n', [a.recipient, b.recipient]);
    expect(armored).toMatch(
      /^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+-----END AGE ENCRYPTED FILE-----\n$/,
    );
    expect(armored).not.toContain('A=1');
    for (const who of [a, b]) {
      expect(await decryptAgeFile(bytes(armored), [who.identity])).toEqual({
        kind: 'decrypted',
        text: 'A=1\nKEY="x\\ny"\n',
      });
    }
  });

  it('reads a binary (unarmored) file too', async () => {
    const { identity, recipient } = await generateAgeIdentity();
    const age = await import('age-encryption');
    const encrypter = new age.Encrypter();
    encrypter.addRecipient(recipient);
    const binary = await encrypter.encrypt('B=2\n');
    expect(await decryptAgeFile(binary, [identity])).toEqual({ kind: 'decrypted', text: 'B=2\n' });
  });

  it('tells a wrong identity, a bad identity line, a damaged file and a non-age file apart', async () => {
    const [owner, stranger] = await Promise.all([generateAgeIdentity(), generateAgeIdentity()]);
    const armored = await encryptAgeText('A=1\n', [owner.recipient]);
    expect(await decryptAgeFile(bytes(armored), [stranger.identity])).toEqual({ kind: 'no-match' });
    expect(await decryptAgeFile(bytes(armored), [owner.identity, 'AGE-SECRET-KEY-1QQQ'])).toEqual({
      kind: 'bad-identity',
      index: 1,
    });
    const lines = armored.split('\n');
    lines[2] = (lines[2] ?? '').replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    expect(await decryptAgeFile(bytes(lines.join('\n')), [owner.identity])).toMatchObject({
      kind: 'damaged',
    });
    expect(await decryptAgeFile(bytes('A=1\n'), [owner.identity])).toMatchObject({ kind: 'damaged' });
  });

  it('refuses to encrypt to a recipient with a bad checksum', async () => {
    await expect(encryptAgeText('A=1\n', [`age1${'q'.repeat(58)}`])).rejects.toThrow(/checksum/i);
  });

  it('gives the recipient of an identity, or undefined for a line that is none', async () => {
    const { identity, recipient } = await generateAgeIdentity();
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect(await recipientOfAgeIdentity(identity)).toBe(recipient);
    expect(await recipientOfAgeIdentity('AGE-SECRET-KEY-1QQQ')).toBeUndefined();
  });
});
