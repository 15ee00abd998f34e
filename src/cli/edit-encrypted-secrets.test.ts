import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptAgeFile, encryptAgeText, generateAgeIdentity } from '../config/age-secrets-file.js';
import { editEncryptedSecrets, templateFor, type EditEncryptedSecrets } from './edit-encrypted-secrets.js';

const root = mkdtempSync(join(tmpdir(), 'sw-edit-age-'));
const tmpRoot = join(root, 'tmp');
let owner: { identity: string; recipient: string };
let other: { identity: string; recipient: string };
beforeAll(async () => {
  [owner, other] = await Promise.all([generateAgeIdentity(), generateAgeIdentity()]);
  mkdirSync(tmpRoot);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const decrypt = async (file: string, identity = owner.identity): Promise<string> => {
  const result = await decryptAgeFile(readFileSync(file), [identity]);
  if (result.kind !== 'decrypted') throw new Error(`not decrypted: ${result.kind}`);
  return result.text;
};

/** An edit of `file` whose editor is `editor` (it gets the plaintext path), saying into `said`. */
function editOf(
  file: string,
  editor: (plain: string) => number | null,
  options: { again?: boolean[]; said?: string[] } = {},
): EditEncryptedSecrets {
  const again = options.again ?? [];
  return {
    environment: 'production',
    file,
    shownAs: 'secrets/production.env.age',
    recipients: [owner.recipient, other.recipient],
    secretNames: ['DATABASE_URL', 'API_TOKEN'],
    decrypt: () => decrypt(file),
    runEditor: (plain) => Promise.resolve(editor(plain)),
    askEditAgain: () => Promise.resolve(again.shift() ?? false),
    say: (line) => options.said?.push(line),
    tmpRoot,
  };
}

describe('editEncryptedSecrets', () => {
  it('starts a new file from the template, in a private temp dir, and encrypts the edit to every recipient', async () => {
    const file = join(root, 'new', 'secrets', 'production.env.age');
    let seen: { text: string; mode: number; dirMode: number } | undefined;
    const said: string[] = [];
    const outcome = await editEncryptedSecrets(
      editOf(
        file,
        (plain) => {
          seen = {
            text: readFileSync(plain, 'utf8'),
            mode: statSync(plain).mode & 0o777,
            dirMode: statSync(dirname(plain)).mode & 0o777,
          };
          writeFileSync(plain, `${seen.text}DATABASE_URL=postgres://db/shop\n`);
          return 0;
        },
        { said },
      ),
    );
    expect(outcome).toBe('saved');
    expect(seen).toEqual({
      text: templateFor({ environment: 'production', secretNames: ['DATABASE_URL', 'API_TOKEN'] }),
      mode: 0o600,
      dirMode: 0o700,
    });
    expect(seen?.text).toContain('# DATABASE_URL=\n# API_TOKEN=\n');
    expect(await decrypt(file, other.identity)).toBe(`${seen?.text ?? ''}DATABASE_URL=postgres://db/shop\n`);
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(said).toEqual(['encrypted secrets/production.env.age to 2 recipients']);
    expect(readdirSync(tmpRoot)).toEqual([]);
    expect(readdirSync(dirname(file))).toEqual(['production.env.age']);
  });

  it('opens the decrypted text of an existing file and keeps its mode', async () => {
    const file = join(root, 'existing.env.age');
    writeFileSync(file, await encryptAgeText('A=1\n', [owner.recipient]));
    chmodSync(file, 0o640);
    const outcome = await editEncryptedSecrets(
      editOf(file, (plain) => {
        expect(readFileSync(plain, 'utf8')).toBe('A=1\n');
        writeFileSync(plain, 'A=2\nKEY="l1\\nl2"\n');
        return 0;
      }),
    );
    expect(outcome).toBe('saved');
    expect(await decrypt(file)).toBe('A=2\nKEY="l1\\nl2"\n');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it.each([
    [
      'the editor exits non-zero',
      3,
      'the editor exited with code 3; secrets/production.env.age was left as it was',
      'editor-failed',
    ],
    [
      'the editor is killed',
      null,
      'the editor was killed; secrets/production.env.age was left as it was',
      'editor-failed',
    ],
  ])('leaves the file untouched when %s', async (_case, code, message, outcome) => {
    const file = join(root, `failing-${code}.env.age`);
    const before = await encryptAgeText('A=1\n', [owner.recipient]);
    writeFileSync(file, before);
    const said: string[] = [];
    const result = await editEncryptedSecrets(
      editOf(
        file,
        (plain) => {
          writeFileSync(plain, 'A=changed\n');
          return code;
        },
        { said },
      ),
    );
    expect(result).toBe(outcome);
    expect(said).toEqual([message]);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('leaves the file untouched (not even encrypted again) when nothing changed, and creates none', async () => {
    const file = join(root, 'same.env.age');
    const before = await encryptAgeText('A=1\n', [owner.recipient]);
    writeFileSync(file, before);
    const said: string[] = [];
    expect(await editEncryptedSecrets(editOf(file, () => 0, { said }))).toBe('unchanged');
    expect(readFileSync(file, 'utf8')).toBe(before);
    const absent = join(root, 'absent.env.age');
    expect(await editEncryptedSecrets(editOf(absent, () => 0, { said }))).toBe('unchanged');
    expect(said).toEqual([
      'no change; secrets/production.env.age was left as it was',
      'no change; secrets/production.env.age was left as it was (not created)',
    ]);
    expect(() => statSync(absent)).toThrow();
  });

  it('with reencrypt, encrypts an unchanged text again, to the recipients given now', async () => {
    const file = join(root, 'reencrypt.env.age');
    writeFileSync(file, await encryptAgeText('A=1\n', [owner.recipient]));
    await expect(decrypt(file, other.identity)).rejects.toThrow('no-match');
    const said: string[] = [];
    expect(await editEncryptedSecrets({ ...editOf(file, () => 0, { said }), reencrypt: true })).toBe('saved');
    expect(await decrypt(file, other.identity)).toBe('A=1\n');
    expect(said).toEqual(['encrypted secrets/production.env.age to 2 recipients']);
    // Not for a file that is not there: nothing to encrypt again.
    const absent = join(root, 'reencrypt-absent.env.age');
    expect(await editEncryptedSecrets({ ...editOf(absent, () => 0), reencrypt: true })).toBe('unchanged');
  });

  it('says where an edit is not NAME=value lines, opens it again with the edit kept, or gives up', async () => {
    const file = join(root, 'invalid.env.age');
    const before = await encryptAgeText('A=1\n', [owner.recipient]);
    writeFileSync(file, before);
    const opened: string[] = [];
    const said: string[] = [];
    const fixing = editOf(
      file,
      (plain) => {
        const text = readFileSync(plain, 'utf8');
        opened.push(text);
        writeFileSync(
          plain,
          opened.length === 1 ? `${text}oops s3cret\n` : text.replace('oops s3cret\n', 'B=2\n'),
        );
        return 0;
      },
      { again: [true], said },
    );
    expect(await editEncryptedSecrets(fixing)).toBe('saved');
    expect(opened).toEqual(['A=1\n', 'A=1\noops s3cret\n']);
    expect(said[0]).toBe(
      'the text is not NAME=value lines (line 2): expected NAME=value (a name of letters, digits and _; quotes must be closed)',
    );
    expect(said.join('\n')).not.toContain('s3cret');
    expect(await decrypt(file)).toBe('A=1\nB=2\n');

    const saved = readFileSync(file, 'utf8');
    const givingUp = editOf(file, (plain) => (writeFileSync(plain, 'nope\n'), 0), { again: [false], said });
    expect(await editEncryptedSecrets(givingUp)).toBe('invalid');
    expect(said.at(-1)).toBe('secrets/production.env.age was left as it was; the edit was discarded');
    expect(readFileSync(file, 'utf8')).toBe(saved);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('removes the plaintext when the editor throws', async () => {
    const file = join(root, 'throwing.env.age');
    await expect(
      editEncryptedSecrets(
        editOf(file, () => {
          throw new Error('spawn sh ENOENT');
        }),
      ),
    ).rejects.toThrow('ENOENT');
    expect(readdirSync(tmpRoot)).toEqual([]);
  });
});
