import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { loadConfig } from './load-config.js';

const VALID =
  'app: shop\nrun:\n  command: node server.js\nenvironments:\n  production:\n    publicPort: 8080\n';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-load-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

describe('loadConfig', () => {
  it('reads and validates a file, returning its absolute path and directory', async () => {
    const file = path.join(dir, 'slipway.yml');
    await writeFile(file, VALID);
    const loaded = await loadConfig(file);
    expect(loaded.file).toBe(file);
    expect(loaded.dir).toBe(dir);
    expect(loaded.config.app).toBe('shop');
    expect(loaded.config.environments.production?.strategy.kind).toBe('blue-green');
  });

  it('looks for slipway.yml inside a directory it is given', async () => {
    await writeFile(path.join(dir, 'slipway.yml'), VALID);
    const loaded = await loadConfig(dir);
    expect(loaded.file).toBe(path.join(dir, 'slipway.yml'));
  });

  it('reads slipway.yml from the working directory by default', async () => {
    await writeFile(path.join(dir, 'slipway.yml'), VALID);
    const previous = process.cwd();
    process.chdir(dir);
    try {
      const loaded = await loadConfig();
      expect(loaded.dir).toBe(process.cwd());
      expect(loaded.config.run.command).toBe('node server.js');
    } finally {
      process.chdir(previous);
    }
  });

  it('throws a ConfigError with the init hint when the file is missing', async () => {
    const error = await configError(loadConfig(path.join(dir, 'slipway.yml')));
    expect(error.hint).toBe('run "slipway init" to write one');
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.message).toBe('file not found');
    expect(error.issues[0]?.file).toContain('slipway.yml');
  });

  it('throws a ConfigError carrying every issue with file, line and column', async () => {
    const file = path.join(dir, 'slipway.yml');
    await writeFile(
      file,
      VALID.replace('8080', 'eighty').replace('app: shop', 'app: shop\nretainRelease: 3'),
    );
    const error = await configError(loadConfig(file));
    expect(error.issues.map((i) => [i.path, i.line, i.column])).toEqual([
      ['retainRelease', 2, 1],
      ['environments.production.publicPort', 7, 17],
    ]);
    expect(error.issues.every((i) => i.file !== undefined && path.resolve(i.file) === file)).toBe(true);
    expect(error.message).toContain('2 problems in the configuration');
    expect(error.message).toContain('unknown key "retainRelease" (did you mean "retainReleases"?)');
  });
});
