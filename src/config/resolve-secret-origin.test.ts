import { describe, expect, it } from 'vitest';
import { mayComeFromEncryptedFile, resolveSecretOrigin } from './resolve-secret-origin.js';

const source = { command: 'op read op://shop/db/url', timeout: '30s' };

describe('resolveSecretOrigin', () => {
  it.each([
    [
      'SLIPWAY_SECRET_<NAME> overrides the command',
      { SLIPWAY_SECRET_DB: 'override' },
      { DB: source },
      { SLIPWAY_SECRET_DB: 'override' },
      { kind: 'override', value: 'override' },
    ],
    [
      'an empty SLIPWAY_SECRET_<NAME> still overrides',
      { SLIPWAY_SECRET_DB: '' },
      { DB: source },
      { SLIPWAY_SECRET_DB: '' },
      { kind: 'override', value: '' },
    ],
    [
      'the command beats a bare <NAME> in the shell',
      { DB: 'shell' },
      { DB: source },
      { DB: 'shell' },
      { kind: 'command', source },
    ],
    ['the command beats the secrets file', {}, { DB: source }, { DB: 'file' }, { kind: 'command', source }],
    ['without a command: the merged source', {}, {}, { DB: 'file' }, { kind: 'found', value: 'file' }],
    [
      'without a command: SLIPWAY_SECRET_ of the file first',
      {},
      {},
      { DB: 'a', SLIPWAY_SECRET_DB: 'b' },
      { kind: 'found', value: 'b' },
    ],
    ['nowhere', {}, {}, {}, { kind: 'missing' }],
  ])('%s', (_case, processEnv, sources, merged, origin) => {
    expect(resolveSecretOrigin('DB', processEnv, sources, merged)).toEqual(origin);
  });

  it.each([
    [
      'the override beats the encrypted file',
      { SLIPWAY_SECRET_DB: 'o' },
      {},
      { kind: 'override', value: 'o' },
    ],
    ['the command beats the encrypted file', {}, { DB: source }, { kind: 'command', source }],
    [
      'the encrypted file beats a bare <NAME> in the shell',
      { DB: 'shell' },
      {},
      { kind: 'encrypted', value: 'age' },
    ],
  ])('%s', (_case, processEnv, sources, origin) => {
    expect(resolveSecretOrigin('DB', processEnv, sources, { DB: 'shell-or-file' }, { DB: 'age' })).toEqual(
      origin,
    );
  });

  it('falls through the encrypted file for a name it does not hold', () => {
    expect(resolveSecretOrigin('DB', {}, {}, { DB: 'file' }, { OTHER: 'age' })).toEqual({
      kind: 'found',
      value: 'file',
    });
  });

  it('needs the encrypted file only for a name neither overridden nor given by a command', () => {
    expect(mayComeFromEncryptedFile('DB', { SLIPWAY_SECRET_DB: '' }, {})).toBe(false);
    expect(mayComeFromEncryptedFile('DB', {}, { DB: source })).toBe(false);
    expect(mayComeFromEncryptedFile('DB', { DB: 'shell' }, {})).toBe(true);
  });

  it('does not take inherited properties for sources or values', () => {
    expect(resolveSecretOrigin('toString', {}, {}, {})).toEqual({ kind: 'missing' });
  });
});
