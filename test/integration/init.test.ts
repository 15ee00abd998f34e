import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI, type CliResult } from '../helpers/project.js';

// The built CLI's `init` in a fresh directory: what it writes, that `validate` accepts it, and what it refuses.

function cliIn(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('slipway init', () => {
  let root: string;
  let dir: string;
  let file: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sw-init-'));
    // The app's name comes from the directory's, made a valid app name.
    dir = join(root, 'My Shop');
    mkdirSync(dir);
    file = join(dir, 'slipway.yml');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes a commented slipway.yml named after the directory, which validate accepts', async () => {
    const init = await cliIn(dir, ['init']);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`wrote ${file}`);
    expect(init.stdout).toContain('slipway validate');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# /m);
    const config = parse(text) as { app: string; environments: { production: { publicPort: number } } };
    expect(config.app).toBe('my-shop');
    expect(config.environments.production.publicPort).toBe(8080);

    const validate = await cliIn(dir, ['validate']);
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain(`${file} is valid (app my-shop; environments: production)`);
    // Neither command starts anything or creates the state directory.
    expect(readdirSync(dir)).toEqual(['slipway.yml']);
  });

  it('refuses to overwrite an existing file without --force, and leaves it as it was', async () => {
    const before = readFileSync(file, 'utf8');
    const again = await cliIn(dir, ['init', '--app', 'other']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`error: ${file} already exists`);
    expect(again.stderr).toContain('hint: use --force to overwrite it');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses a port that is not one, even with --force, and writes nothing', async () => {
    const before = readFileSync(file, 'utf8');
    const bad = await cliIn(dir, ['init', '--force', '--port', '70000']);
    expect(bad.code).toBe(2); // bad input
    expect(bad.stderr).toContain(
      'error: --port "70000" is not a port: expected a whole number from 1 to 65535',
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('overwrites with --force, taking --app and --port, and writes where -c says', async () => {
    const forced = await cliIn(dir, ['init', '--force', '--app', 'shop', '--port', '9090']);
    expect(forced.code).toBe(0);
    const config = parse(readFileSync(file, 'utf8')) as {
      app: string;
      environments: { production: { publicPort: number } };
    };
    expect(config).toMatchObject({ app: 'shop', environments: { production: { publicPort: 9090 } } });

    const elsewhere = join(root, 'deploy.yml');
    expect((await cliIn(dir, ['-c', elsewhere, 'init'])).code).toBe(0);
    expect(parse(readFileSync(elsewhere, 'utf8'))).toMatchObject({ app: 'my-shop' });
    const validate = await cliIn(root, ['-c', elsewhere, 'validate']);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain(`${elsewhere} is valid`);
  });

  it('offers secrets from an encrypted file: --encrypted-secrets makes the identity, or takes the one there', async () => {
    const configHome = join(root, 'xdg');
    const env = { XDG_CONFIG_HOME: configHome, SLIPWAY_AGE_IDENTITY_FILE: '' };
    const keyFile = join(configHome, 'slipway', 'age', 'shop.key');
    const first = await cliIn(dir, ['init', '--force', '--app', 'shop', '--encrypted-secrets'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const recipient = /# public key: (age1\S+)/.exec(readFileSync(keyFile, 'utf8'))?.[1];
    expect(first.stdout).toContain(`your identity (private key): ${keyFile} (new, mode 0600`);
    expect(first.stdout).toContain('next: "slipway secrets edit production"');
    const config = parse(readFileSync(file, 'utf8')) as {
      environments: { production: { encryptedSecrets: unknown } };
    };
    expect(config.environments.production.encryptedSecrets).toEqual({
      path: 'secrets/production.env.age',
      recipients: [recipient],
    });
    expect((await cliIn(dir, ['validate'], env)).code).toBe(0);

    const again = await cliIn(dir, ['init', '--force', '--app', 'shop', '--encrypted-secrets'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`your identity (private key): ${keyFile}\n`);
    expect(readFileSync(file, 'utf8')).toContain(`recipients: [${recipient}]`);
  });
});
