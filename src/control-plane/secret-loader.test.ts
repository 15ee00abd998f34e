import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import type { CommandOptions, CommandRun } from '../core/run-command.js';
import { SecretSourceError } from '../config/secret-command-value.js';
import { actingAs, type ControlPlane } from './control-plane.js';
import { createSecretLoader } from './secret-loader.js';

const stateDir = mkdtempSync(join(tmpdir(), 'sw-secret-loader-'));
mkdirSync(join(stateDir, 'secrets'));
writeFileSync(join(stateDir, 'secrets', 'production.env'), 'FROM_FILE=file-value\nDB=file-db\n');
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const config = configSchema.parse({
  app: 'shop',
  run: { command: 'node server.js' },
  secrets: ['DB', 'FROM_FILE', 'KEY'],
  environments: {
    production: {
      publicPort: 8080,
      secretSources: {
        DB: { command: 'vault kv get -field=url secret/shop', timeout: '5s' },
        KEY: { command: ['op', 'read', 'op://shop/key/pem'] },
      },
    },
    staging: { publicPort: 8081 },
  },
});

/** A manager CLI stand-in: answers each command from a table and counts the runs. */
function fakeManager(answers: Record<string, CommandRun>) {
  const runs: CommandOptions[] = [];
  return {
    runs,
    runCommand: (options: CommandOptions): Promise<CommandRun> => {
      runs.push(options);
      const key = typeof options.command === 'string' ? options.command : options.command.join(' ');
      return Promise.resolve(answers[key] ?? { kind: 'exited', code: 127, stdout: '', stderr: 'not found' });
    },
  };
}

const ok = (stdout: string): CommandRun => ({ kind: 'exited', code: 0, stdout, stderr: '' });
const PEM = '-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----\n';

function loaderWith(manager: ReturnType<typeof fakeManager>, processEnv: Record<string, string> = {}) {
  return createSecretLoader({ config, stateDir, projectDir: '/project', processEnv, ...manager });
}

const reveal = (secrets: Map<string, { reveal(): string }>) =>
  Object.fromEntries([...secrets].map(([name, s]) => [name, s.reveal()]));

describe('createSecretLoader', () => {
  it('takes values from commands, the file and the process environment, each command once per scope', async () => {
    const manager = fakeManager({
      'vault kv get -field=url secret/shop': ok('postgres://db/shop\n'),
      'op read op://shop/key/pem': ok(PEM),
    });
    const load = loaderWith(manager, { DB: 'from-my-shell' });
    expect(reveal(await load('production', ['DB', 'FROM_FILE', 'KEY', 'NOWHERE']))).toEqual({
      DB: 'postgres://db/shop',
      FROM_FILE: 'file-value',
      KEY: PEM.slice(0, -1),
    });
    await load('production', ['DB', 'KEY']);
    expect(manager.runs.map((r) => r.command)).toEqual([
      'vault kv get -field=url secret/shop',
      ['op', 'read', 'op://shop/key/pem'],
    ]);
    expect(manager.runs[0]).toMatchObject({ timeoutMs: 5000, cwd: '/project' });
    expect(manager.runs[1]).toMatchObject({ timeoutMs: 30_000 });
  });

  it('runs no command for a secret that SLIPWAY_SECRET_<NAME> overrides, nor in an environment without sources', async () => {
    const manager = fakeManager({});
    const load = loaderWith(manager, { SLIPWAY_SECRET_DB: 'override', SLIPWAY_SECRET_KEY: 'k' });
    expect(reveal(await load('production', ['DB', 'KEY']))).toEqual({ DB: 'override', KEY: 'k' });
    expect(reveal(await loaderWith(manager, { DB: 'shell' })('staging', ['DB']))).toEqual({ DB: 'shell' });
    expect(manager.runs).toEqual([]);
  });

  it('fails naming the secret, with stderr redacted of the values known, and does not run it again', async () => {
    const manager = fakeManager({
      'op read op://shop/key/pem': ok(PEM),
      'vault kv get -field=url secret/shop': {
        kind: 'exited',
        code: 2,
        stdout: '',
        stderr: 'denied; your file says file-value and the key has MIIEvQIBADANBgkq\n',
      },
    });
    const load = loaderWith(manager);
    await load('production', ['KEY']);
    const error = await load('production', ['DB']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretSourceError);
    const message = (error as Error).message;
    expect(message).toContain('secret DB (environment production): its command exited with code 2');
    expect(message).toContain('denied; your file says [redacted] and the key has [redacted]');
    await expect(load('production', ['DB'])).rejects.toThrow('exited with code 2');
    expect(manager.runs).toHaveLength(2);
  });

  it('gives each scope of actingAs (a server job or request) its own fetch', async () => {
    const manager = fakeManager({ 'vault kv get -field=url secret/shop': ok('v\n') });
    const newLoader = () => loaderWith(manager);
    const project = {
      actor: 'cli',
      loadSecrets: newLoader(),
      freshSecrets: newLoader,
    } as unknown as ControlPlane;
    await project.loadSecrets('production', ['DB']);
    await project.loadSecrets('production', ['DB']);
    const job = actingAs(project, 'alice');
    await job.loadSecrets('production', ['DB']);
    await job.loadSecrets('production', ['DB']);
    expect(manager.runs).toHaveLength(2);
  });
});
