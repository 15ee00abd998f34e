import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptAgeText, generateAgeIdentity } from '../config/age-secrets-file.js';
import { EncryptedSecretsError } from '../config/load-encrypted-secrets.js';
import { configSchema } from '../config/schema.js';
import type { CommandOptions, CommandRun } from '../core/run-command.js';
import { createSecretLoader } from './secret-loader.js';

// The encrypted file as one of the loader's sources: its place in the precedence, decrypted once per scope and
// only when needed.

const dir = mkdtempSync(join(tmpdir(), 'sw-loader-age-'));
const stateDir = join(dir, 'state');
const projectDir = join(dir, 'project');
const keyFile = join(dir, 'production.key');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let recipient = '';
beforeAll(async () => {
  const owner = await generateAgeIdentity();
  recipient = owner.recipient;
  mkdirSync(join(stateDir, 'secrets'), { recursive: true });
  mkdirSync(join(projectDir, 'secrets'), { recursive: true });
  writeFileSync(
    join(stateDir, 'secrets', 'production.env'),
    'PLAIN=from-state-file\nSHADOWED=from-state-file\n',
  );
  writeFileSync(keyFile, `${owner.identity}\n`);
  writeFileSync(
    join(projectDir, 'secrets', 'production.env.age'),
    await encryptAgeText('DB=from-age\nSHADOWED=from-age\nCMD=from-age\n', [owner.recipient]),
  );
});

const config = () =>
  configSchema.parse({
    app: 'shop',
    run: { command: 'node server.js' },
    secrets: ['DB', 'SHADOWED', 'CMD', 'PLAIN'],
    environments: {
      production: {
        publicPort: 8080,
        secretSources: { CMD: { command: 'op read op://shop/cmd' } },
        encryptedSecrets: { path: 'secrets/production.env.age', recipients: [recipient], identity: keyFile },
      },
    },
  });

function loader(processEnv: Record<string, string>, runs: CommandOptions[] = []) {
  return createSecretLoader({
    config: config(),
    stateDir,
    projectDir,
    processEnv,
    homeDir: join(dir, 'home'),
    runCommand: (options): Promise<CommandRun> => {
      runs.push(options);
      return Promise.resolve({ kind: 'exited', code: 0, stdout: 'from-command\n', stderr: '' });
    },
  });
}

const reveal = (secrets: Map<string, { reveal(): string }>) =>
  Object.fromEntries([...secrets].map(([name, s]) => [name, s.reveal()]));

describe('createSecretLoader with an encrypted file', () => {
  it('puts the file after an override and a command, before the shell and the state file', async () => {
    const load = loader({ SLIPWAY_SECRET_DB: 'override', SHADOWED: 'from-shell' });
    expect(reveal(await load('production', ['DB', 'SHADOWED', 'CMD', 'PLAIN']))).toEqual({
      DB: 'override',
      SHADOWED: 'from-age',
      CMD: 'from-command',
      PLAIN: 'from-state-file',
    });
  });

  it('decrypts once per scope, and not at all when no secret asked for may come from it', async () => {
    // A wrong identity fails the decryption: each attempt shows as an error.
    const stranger = await generateAgeIdentity();
    const env = { SLIPWAY_AGE_IDENTITY: stranger.identity, SLIPWAY_SECRET_DB: 'o' };
    const load = loader(env);
    expect(reveal(await load('production', ['DB', 'CMD']))).toEqual({ DB: 'o', CMD: 'from-command' });
    const first = await load('production', ['SHADOWED']).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(EncryptedSecretsError);
    // The failure is kept for the scope, like a command's: the same error again, not a second attempt.
    expect(await load('production', ['PLAIN']).catch((e: unknown) => e)).toBe(first);
    // Names that do not need the file still load.
    expect(reveal(await load('production', ['DB', 'CMD']))).toEqual({ DB: 'o', CMD: 'from-command' });
  });

  it('reads the file once however many loads need it', async () => {
    const load = loader({});
    expect(reveal(await load('production', ['DB']))).toEqual({ DB: 'from-age' });
    // The file changes under the scope: the scope keeps what it decrypted first.
    writeFileSync(join(projectDir, 'secrets', 'production.env.age'), 'damaged');
    expect(reveal(await load('production', ['SHADOWED']))).toEqual({ SHADOWED: 'from-age' });
    await expect(loader({})('production', ['DB'])).rejects.toThrow('the file is not an age file');
  });
});
