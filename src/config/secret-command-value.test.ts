import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import type { CommandRun } from '../core/run-command.js';
import {
  deriveSecretCommandValue,
  describeSecretCommand,
  SecretSourceError,
} from './secret-command-value.js';

const context = {
  secret: 'DATABASE_URL',
  environment: 'production',
  command: 'vault kv get -field=url secret/shop',
  timeoutMs: 30_000,
  knownValues: ['sk_live_other_secret'],
};

const exited = (code: number, stdout: string, stderr = ''): CommandRun => ({
  kind: 'exited',
  code,
  stdout,
  stderr,
});

function errorOf(run: CommandRun): SecretSourceError {
  try {
    deriveSecretCommandValue(run, context);
  } catch (error) {
    if (error instanceof SecretSourceError) return error;
    throw error;
  }
  throw new Error('expected a SecretSourceError');
}

describe('deriveSecretCommandValue', () => {
  it.each([
    ['one LF', 'postgres://u:p@db/shop\n', 'postgres://u:p@db/shop'],
    ['one CRLF', 'postgres://u:p@db/shop\r\n', 'postgres://u:p@db/shop'],
    ['no newline', 'postgres://u:p@db/shop', 'postgres://u:p@db/shop'],
    ['only one of two newlines', 'value\n\n', 'value\n'],
    [
      'a multi-line value, kept',
      '-----BEGIN KEY-----\nabc\n-----END KEY-----\n',
      '-----BEGIN KEY-----\nabc\n-----END KEY-----',
    ],
    ['spaces, kept', '  padded  \n', '  padded  '],
  ])('takes stdout with %s', (_what, stdout, value) => {
    expect(deriveSecretCommandValue(exited(0, stdout), context)).toBe(value);
  });

  it('refuses an empty stdout, and a lone newline, as no value', () => {
    for (const stdout of ['', '\n']) {
      expect(errorOf(exited(0, stdout)).message).toContain('printed nothing on stdout');
    }
  });

  it('refuses a value with a NUL byte, without showing it', () => {
    const error = errorOf(exited(0, 'se\u0000cret-value\n'));
    expect(error.message).toContain('cannot be used');
    expect(error.message).not.toContain('cret-value');
  });

  it('names the secret, environment, exit code and command, and shows the end of stderr redacted', () => {
    const stderr = [
      'line 1',
      'line 2',
      'line 3',
      'error: permission denied reading secret/shop',
      'token sk_live_other_secret was refused',
      'partial output was postgres://half',
    ].join('\n');
    const error = errorOf(exited(2, 'postgres://half\n', stderr));
    expect(error).toBeInstanceOf(SlipwayError);
    expect(error.secret).toBe('DATABASE_URL');
    expect(error.message).toMatch(
      /^secret DATABASE_URL \(environment production\): its command exited with code 2: vault kv get -field=url secret\/shop\n/,
    );
    expect(error.message).toContain('  error: permission denied reading secret/shop');
    expect(error.message).not.toContain('line 1'); // the tail: the last 5 lines
    expect(error.message).not.toContain('sk_live_other_secret');
    expect(error.message).not.toContain('postgres://half');
    expect(error.message).toContain('token [redacted] was refused');
    expect(error.hint).toContain('SLIPWAY_SECRET_DATABASE_URL');
  });

  it('redacts each line of a multi-line known value in stderr', () => {
    const key = '-----BEGIN KEY-----\r\nMIIEvQIBADANBgkq\r\n-----END KEY-----';
    const run = exited(1, '', `got MIIEvQIBADANBgkq from the vault\n`);
    let error: unknown;
    try {
      deriveSecretCommandValue(run, { ...context, knownValues: [key] });
    } catch (e) {
      error = e;
    }
    expect(String((error as Error).message)).toContain('got [redacted] from the vault');
  });

  it('says a timeout, a signal and a command that could not start in words', () => {
    const timedOut = errorOf({ kind: 'timed-out', stdout: '', stderr: 'waiting for unlock' });
    expect(timedOut.message).toContain('did not finish within 30s and was killed');
    expect(timedOut.hint).toContain('environments.production.secretSources.DATABASE_URL.timeout');
    expect(errorOf({ kind: 'killed', signal: 'SIGTERM', stdout: '', stderr: '' }).message).toContain(
      'killed by SIGTERM',
    );
    expect(errorOf({ kind: 'not-started', message: 'spawn op ENOENT' }).message).toContain(
      'could not be started: spawn op ENOENT',
    );
    expect(errorOf({ kind: 'too-large', stderr: '' }).message).toContain('more than 32 KiB');
  });
});

describe('describeSecretCommand', () => {
  it('shows a string as written and an argv with quotes where needed', () => {
    expect(describeSecretCommand('op read "op://shop/db/url"')).toBe('op read "op://shop/db/url"');
    expect(describeSecretCommand(['bw', 'get', 'password', 'shop db'])).toBe('bw get password "shop db"');
  });
});
