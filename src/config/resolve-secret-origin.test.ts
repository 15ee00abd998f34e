import { describe, expect, it } from 'vitest';
import { resolveSecretOrigin } from './resolve-secret-origin.js';

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

  it('does not take inherited properties for sources or values', () => {
    expect(resolveSecretOrigin('toString', {}, {}, {})).toEqual({ kind: 'missing' });
  });
});
