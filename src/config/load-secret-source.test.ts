import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, SlipwayError } from '../core/errors.js';
import { loadSecretSource } from './load-secret-source.js';

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'slipway-secrets-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

async function writeSecrets(environment: string, text: string): Promise<void> {
  await mkdir(path.join(stateDir, 'secrets'), { recursive: true });
  await writeFile(path.join(stateDir, 'secrets', `${environment}.env`), text);
}

describe('loadSecretSource', () => {
  it('puts the process environment over the secrets file of that environment', async () => {
    await writeSecrets('production', 'DATABASE_URL=from-file\nSTRIPE_KEY="sk file"\n');
    await writeSecrets('staging', 'OTHER=staging-only\n');
    const source = await loadSecretSource(stateDir, 'production', {
      DATABASE_URL: 'from-env',
      UNSET: undefined,
    });
    expect(source).toMatchObject({ DATABASE_URL: 'from-env', STRIPE_KEY: 'sk file' });
    expect(source.OTHER).toBeUndefined();
  });

  it('keeps a file value when the process variable is undefined', async () => {
    await writeSecrets('production', 'TOKEN=file\n');
    expect((await loadSecretSource(stateDir, 'production', { TOKEN: undefined })).TOKEN).toBe('file');
  });

  it('is the process environment alone when there is no file', async () => {
    expect(await loadSecretSource(stateDir, 'production', { A: '1' })).toEqual({ A: '1' });
  });

  it('throws a ConfigError naming the file and line of a malformed entry', async () => {
    await writeSecrets('production', 'A=1\nthis is not an entry\n');
    const error: unknown = await loadSecretSource(stateDir, 'production', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toMatchObject([
      { file: path.join(stateDir, 'secrets', 'production.env'), line: 2 },
    ]);
  });

  it('refuses an environment name that would leave the secrets directory', async () => {
    await expect(loadSecretSource(stateDir, '../etc/passwd', {})).rejects.toThrow(SlipwayError);
  });
});
