import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptAgeText, generateAgeIdentity } from './age-secrets-file.js';
import {
  EncryptedSecretsError,
  loadEncryptedSecrets,
  resolveAgeIdentitySource,
  type EncryptedSecretsContext,
} from './load-encrypted-secrets.js';

const settings = { path: 'secrets/production.env.age', recipients: ['age1x'] };

describe('resolveAgeIdentitySource', () => {
  const home = '/home/ada';
  it.each([
    [
      'SLIPWAY_AGE_IDENTITY first (the key itself)',
      { SLIPWAY_AGE_IDENTITY: 'AGE-SECRET-KEY-1X', SLIPWAY_AGE_IDENTITY_FILE: '/k' },
      { kind: 'variable', name: 'SLIPWAY_AGE_IDENTITY' },
    ],
    [
      'then SLIPWAY_AGE_IDENTITY_FILE, ~ expanded',
      { SLIPWAY_AGE_IDENTITY: ' ', SLIPWAY_AGE_IDENTITY_FILE: '~/keys/a.key' },
      { kind: 'file', file: '/home/ada/keys/a.key', from: 'variable' },
    ],
    [
      'else the default under XDG_CONFIG_HOME',
      { XDG_CONFIG_HOME: '/xdg' },
      { kind: 'file', file: '/xdg/slipway/age/shop.key', from: 'default' },
    ],
    [
      'else under ~/.config',
      {},
      { kind: 'file', file: '/home/ada/.config/slipway/age/shop.key', from: 'default' },
    ],
  ])('%s', (_case, processEnv, source) => {
    expect(resolveAgeIdentitySource({ app: 'shop', settings, processEnv, homeDir: home })).toEqual(source);
  });

  it('takes encryptedSecrets.identity before the default, after the variables', () => {
    const withIdentity = { ...settings, identity: '~/.age/shop-prod.key' };
    expect(
      resolveAgeIdentitySource({ app: 'shop', settings: withIdentity, processEnv: {}, homeDir: home }),
    ).toEqual({ kind: 'file', file: '/home/ada/.age/shop-prod.key', from: 'config' });
    expect(
      resolveAgeIdentitySource({
        app: 'shop',
        settings: withIdentity,
        processEnv: { SLIPWAY_AGE_IDENTITY_FILE: '/ci/key' },
        homeDir: home,
      }),
    ).toMatchObject({ file: '/ci/key', from: 'variable' });
  });
});

describe('loadEncryptedSecrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-age-'));
  const home = join(dir, 'home');
  const PEM = '-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----';
  let owner: { identity: string; recipient: string };
  let stranger: { identity: string; recipient: string };
  const context = (processEnv: Record<string, string> = {}): EncryptedSecretsContext => ({
    app: 'shop',
    environment: 'production',
    settings: { ...settings, recipients: [owner.recipient] },
    projectDir: join(dir, 'project'),
    processEnv,
    homeDir: home,
  });
  const writeSecrets = async (text: string) =>
    writeFileSync(join(dir, 'project', settings.path), await encryptAgeText(text, [owner.recipient]));
  const failure = async (processEnv: Record<string, string> = {}) => {
    const error = await loadEncryptedSecrets(context(processEnv)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EncryptedSecretsError);
    return error as EncryptedSecretsError;
  };

  beforeAll(async () => {
    [owner, stranger] = await Promise.all([generateAgeIdentity(), generateAgeIdentity()]);
    mkdirSync(join(dir, 'project', 'secrets'), { recursive: true });
    mkdirSync(join(home, '.config', 'slipway', 'age'), { recursive: true });
    writeFileSync(
      join(home, '.config', 'slipway', 'age', 'shop.key'),
      `# public key: ${owner.recipient}\n${owner.identity}\n`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decrypts the file with the default identity file and parses NAME=value lines, multi-line values too', async () => {
    await writeSecrets(
      `# production\nDATABASE_URL=postgres://db/shop\nTLS_KEY="${PEM.replace(/\n/g, '\\n')}"\n`,
    );
    expect(await loadEncryptedSecrets(context())).toEqual({
      DATABASE_URL: 'postgres://db/shop',
      TLS_KEY: PEM,
    });
  });

  it('takes the identity from SLIPWAY_AGE_IDENTITY', async () => {
    await writeSecrets('A=1\n');
    expect(
      await loadEncryptedSecrets(context({ SLIPWAY_AGE_IDENTITY: owner.identity, XDG_CONFIG_HOME: '/none' })),
    ).toEqual({
      A: '1',
    });
  });

  it('says that no identity matches the recipients, naming the environment, the file and the identity file', async () => {
    await writeSecrets('A=1\n');
    const error = await failure({ SLIPWAY_AGE_IDENTITY: stranger.identity });
    expect(error.message).toBe(
      "encrypted secrets of environment production (secrets/production.env.age): no identity matches the file's recipients: the identity in SLIPWAY_AGE_IDENTITY is not one of them",
    );
    expect(error.hint).toContain('encryptedSecrets.recipients');
  });

  it('says that the identity file is missing, and how to make one', async () => {
    const error = await failure({ SLIPWAY_AGE_IDENTITY_FILE: join(dir, 'no.key') });
    expect(error.message).toContain(
      `the identity file ${join(dir, 'no.key')} (SLIPWAY_AGE_IDENTITY_FILE) does not exist`,
    );
    expect(error.hint).toContain('slipway secrets keygen');
  });

  it('says which line of an identity file is not an identity, never showing the line', async () => {
    const file = join(dir, 'bad.key');
    writeFileSync(file, `# mine\nDATABASE_URL=hunter2\n`);
    const error = await failure({ SLIPWAY_AGE_IDENTITY_FILE: file });
    expect(error.message).toContain(`line 2 of the identity file ${file}`);
    expect(error.message + (error.hint ?? '')).not.toContain('hunter2');
  });

  it('says that the file is missing, and how to create it', async () => {
    rmSync(join(dir, 'project', settings.path));
    const error = await failure();
    expect(error.message).toContain('the file does not exist');
    expect(error.hint).toBe('create it with: slipway secrets edit production');
  });

  it('says that a file is not an age file, never quoting it (plaintext committed by mistake)', async () => {
    writeFileSync(join(dir, 'project', settings.path), 'DATABASE_URL=s3cret\n');
    const error = await failure();
    expect(error.message).toContain('the file is not an age file (it has no age header)');
    expect(error.message).not.toContain('s3cret');
    expect(error.hint).toBe('restore it from version control (git checkout -- secrets/production.env.age)');
  });

  it('gives the line numbers of text that is not NAME=value lines, never the text', async () => {
    await writeSecrets('A=1\nthis is s3cret\nB="unclosed\n');
    const error = await failure();
    expect(error.message).toContain('the decrypted text is not NAME=value lines (lines 2, 3)');
    expect(error.message).not.toContain('s3cret');
    expect(error.hint).toBe('fix it with: slipway secrets edit production');
  });
});
