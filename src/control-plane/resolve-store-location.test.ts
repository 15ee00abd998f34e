import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { resolveStoreLocation } from './open-project.js';

const PG = 'postgres://slipway:pw@db:5432/slipway';

describe('resolveStoreLocation', () => {
  it('is the SQLite file in the state directory unless a URL is given', () => {
    expect(resolveStoreLocation({}, '/p/.slipway', {})).toEqual({
      kind: 'sqlite',
      file: '/p/.slipway/slipway.db',
    });
    expect(resolveStoreLocation({}, '/p/.slipway', { SLIPWAY_STORE_URL: '' })).toMatchObject({
      kind: 'sqlite',
    });
  });

  it('takes SLIPWAY_STORE_URL, and --store before it', () => {
    expect(resolveStoreLocation({}, '/s', { SLIPWAY_STORE_URL: PG })).toEqual({ kind: 'postgres', url: PG });
    const other = 'postgresql://other/db';
    expect(resolveStoreLocation({ store: other }, '/s', { SLIPWAY_STORE_URL: PG })).toEqual({
      kind: 'postgres',
      url: other,
    });
  });

  it('names the option that holds a URL it cannot use', () => {
    expect(() => resolveStoreLocation({}, '/s', { SLIPWAY_STORE_URL: 'sqlite:///x.db' })).toThrow(
      ConfigError,
    );
    expect(() => resolveStoreLocation({ store: 'file.db' }, '/s', {})).toThrow(/--store must be a postgres/);
  });
});
