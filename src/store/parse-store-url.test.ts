import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { parseStoreUrl } from './parse-store-url.js';
import { redactStoreUrl } from './parse-store-url.js';

describe('parseStoreUrl', () => {
  it.each(['postgres://u:p@db:5432/slipway', 'postgresql://db/slipway?sslmode=require'])(
    'takes %s as a PostgreSQL store',
    (url) => {
      expect(parseStoreUrl(url, '--store')).toEqual({ kind: 'postgres', url });
    },
  );

  it('refuses anything else without echoing the value, which may hold a password', () => {
    const error = (() => {
      try {
        return parseStoreUrl('mysql://root:hunter2@db/x', 'SLIPWAY_STORE_URL');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('SLIPWAY_STORE_URL must be a postgres://');
    expect((error as ConfigError).message).not.toContain('hunter2');
  });
});

describe('redactStoreUrl', () => {
  it('hides the password in the URL and in a password parameter', () => {
    expect(redactStoreUrl('postgres://slipway:s3cret@db:5432/slipway')).toBe(
      'postgres://slipway:***@db:5432/slipway',
    );
    expect(redactStoreUrl('postgres://db/slipway?user=a&password=s3cret')).not.toContain('s3cret');
    expect(redactStoreUrl('not a url with s3cret')).not.toContain('s3cret');
  });
});
