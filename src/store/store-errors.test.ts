import { describe, expect, it } from 'vitest';
import { DiskFullError, StoreBusyError } from '../core/errors.js';
import { translateSqliteError, withStoreErrors } from './store-errors.js';
import type { Store } from './store.js';

const sqliteError = (code: string, message = code): Error => Object.assign(new Error(message), { code });
const FILE = '/srv/app/.slipway/slipway.db';

describe('translateSqliteError', () => {
  const table: Array<[string, Error, number | undefined, 'busy' | 'full' | 'same']> = [
    ['database is locked', sqliteError('SQLITE_BUSY', 'database is locked'), 10e9, 'busy'],
    ['busy while recovering the WAL', sqliteError('SQLITE_BUSY_RECOVERY'), 10e9, 'busy'],
    ['a locked table', sqliteError('SQLITE_LOCKED'), 10e9, 'busy'],
    ['SQLite could not grow the file', sqliteError('SQLITE_FULL', 'database or disk is full'), 10e9, 'full'],
    ['ENOSPC from the file system', sqliteError('ENOSPC'), 10e9, 'full'],
    ['an exhausted quota', sqliteError('EDQUOT'), 10e9, 'full'],
    ['an I/O error on a full disk (the -shm file)', sqliteError('SQLITE_IOERR_SHMSIZE'), 0, 'full'],
    ['an I/O error with space left', sqliteError('SQLITE_IOERR_SHMSIZE'), 10e9, 'same'],
    ['an I/O error where the space cannot be read', sqliteError('SQLITE_IOERR'), undefined, 'same'],
    ['a constraint', sqliteError('SQLITE_CONSTRAINT_PRIMARYKEY'), 0, 'same'],
    ['an error without a code', new Error('boom'), 0, 'same'],
  ];
  it.each(table)('%s', (_name, error, free, expected) => {
    const told = translateSqliteError(error, { file: FILE, busyTimeoutMs: 5000, freeBytes: () => free });
    switch (expected) {
      case 'busy':
        expect(told).toBeInstanceOf(StoreBusyError);
        expect(told).toMatchObject({
          message: `the store ${FILE} is locked by another process: a write waited 5s for it (database is locked)`,
          cause: error,
        });
        return;
      case 'full':
        expect(told).toBeInstanceOf(DiskFullError);
        expect(told).toMatchObject({
          message: `no space left on the disk holding ${FILE}`,
          hint: 'free space on that disk ("df -h /srv/app/.slipway" shows what is left), then try again',
          cause: error,
        });
        return;
      case 'same':
        expect(told).toBe(error);
    }
  });
});

describe('withStoreErrors', () => {
  it("passes every method's failure, thrown or rejected, through the translation, and results unchanged", async () => {
    const store = {
      getLock: () => Promise.reject(sqliteError('SQLITE_BUSY')),
      listReleases: () => Promise.resolve(['1.0.0']),
      close: () => {
        throw sqliteError('SQLITE_FULL');
      },
    } as unknown as Store;
    const told: unknown[] = [];
    const wrapped = withStoreErrors(store, (e) => (told.push(e), new Error(`told: ${(e as Error).message}`)));

    await expect(wrapped.getLock('shop', 'production')).rejects.toThrow('told: SQLITE_BUSY');
    expect(() => wrapped.close()).toThrow('told: SQLITE_FULL');
    expect(await wrapped.listReleases('shop')).toEqual(['1.0.0']);
    expect(told).toHaveLength(2);
  });
});
