import { ConfigError } from '../core/errors.js';
import type { StoreLocation } from './open-store.js';

/**
 * The store chosen by `--store <url>` or SLIPWAY_STORE_URL: a PostgreSQL URL. (The SQLite file is the default and
 * needs no URL.)
 */
export function parseStoreUrl(url: string, from: string): StoreLocation {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    try {
      new URL(url);
    } catch {
      throw storeUrlError(from, `${from} is not a valid URL`);
    }
    return { kind: 'postgres', url };
  }
  // The value is not echoed: a mistyped URL may still hold a password.
  throw storeUrlError(from, `${from} must be a postgres:// (or postgresql://) URL`);
}

function storeUrlError(from: string, message: string): ConfigError {
  return new ConfigError([{ path: from, message }], {
    hint: 'e.g. postgres://slipway:password@db.internal:5432/slipway; leave it unset for the SQLite file in .slipway/',
  });
}

/**
 * The URL with its password (and any `password=` query parameter) replaced, for messages: the store's URL is a
 * secret and never appears in logs or errors.
 */
export function redactStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return 'postgres://(a URL that does not parse)';
  }
}
