import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DiskFullError, SlipwayError, StoreBusyError } from '../core/errors.js';
import { PG_PASSWORD } from '../../test/helpers/postgres.js';
import { holdSqliteWriteLock } from '../../test/helpers/sqlite-lock.js';
import { mountTinyDisk } from '../../test/helpers/tiny-disk.js';
import { MIGRATION_TABLE, buildStoreMigrations, isUpToDate } from './migrations.js';
import { openMemoryStore, openPostgresStore, openSqliteStore } from './open-store.js';
import { aRelease, anEvent, useTempStores, useTestPostgres } from './test-fixtures.js';

const stores = useTempStores();

function inspect<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const appliedMigrations = (file: string) =>
  inspect(file, (db) => db.prepare(`select name from ${MIGRATION_TABLE} order by name`).pluck().all());

describe('openSqliteStore', () => {
  it('creates the parent directory, the file in WAL mode, and every table of the schema', async () => {
    const file = stores.storeFile();
    expect(fs.existsSync(path.dirname(file))).toBe(false);

    await stores.open(file);

    expect(fs.existsSync(file)).toBe(true);
    expect(inspect(file, (db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
    const tables = inspect(file, (db) =>
      db.prepare(`select name from sqlite_master where type = 'table' order by name`).pluck().all(),
    );
    expect(tables).toEqual(
      expect.arrayContaining([
        'deployment_steps',
        'deployments',
        'environment_locks',
        'ledger_events',
        'releases',
      ]),
    );
    expect(appliedMigrations(file)).toEqual(Object.keys(buildStoreMigrations('sqlite')));
  });

  it('applies no migration twice and keeps the data when a store is opened again', async () => {
    const file = stores.storeFile();
    const first = await openSqliteStore(file);
    await first.createRelease(aRelease());
    await first.close();

    const again = await stores.open(file);
    const third = await stores.open(file);

    expect(appliedMigrations(file)).toEqual(Object.keys(buildStoreMigrations('sqlite')).sort());
    expect((await again.getRelease('shop', '1.0.0'))?.sha256).toBe(aRelease().sha256);
    expect(await third.listReleases('shop')).toHaveLength(1);
  });

  it('refuses a store migrated by a newer slipway and says to upgrade', async () => {
    const file = stores.storeFile();
    await (await openSqliteStore(file)).close();
    const db = new Database(file);
    db.prepare(`insert into ${MIGRATION_TABLE} (name, timestamp) values (?, ?)`).run(
      '9999_future',
      '2030-01-01',
    );
    db.close();

    const error = await openSqliteStore(file).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).message).toContain('9999_future');
    expect((error as SlipwayError).hint).toMatch(/upgrade slipway/);
  });

  it('opens and reads an up-to-date store while another process holds its write lock', async () => {
    const file = stores.storeFile();
    const seed = await openSqliteStore(file);
    await seed.createRelease(aRelease());
    await seed.close();
    const holder = await holdSqliteWriteLock(file);
    try {
      // Opening used to take the write lock (BEGIN IMMEDIATE) to migrate, and failed with SQLITE_BUSY here.
      const reader = await stores.open(file);
      expect((await reader.listReleases('shop')).map((r) => r.version)).toEqual(['1.0.0']);
      expect(await reader.getLock('shop', 'production')).toBeUndefined();

      // A write still waits for the lock, then fails as a named error that names the file.
      const error = await reader.createRelease(aRelease({ version: '2.0.0' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreBusyError);
      expect((error as StoreBusyError).message).toBe(
        `the store ${path.resolve(file)} is locked by another process: a write waited 5s for it (database is locked)`,
      );
    } finally {
      await holder.release();
    }
  });

  it('says the disk is full, naming the file, when an open or a write finds no space (a real full tmpfs)', async () => {
    const disk = mountTinyDisk(2 * 1024 * 1024);
    const file = path.join(disk.dir, 'slipway.db');
    try {
      await (await openSqliteStore(file)).close();
      disk.fill();
      const opening = await openSqliteStore(file).catch((e: unknown) => e);
      expect(opening).toBeInstanceOf(DiskFullError);
      expect(opening).toMatchObject({
        message: `no space left on the disk holding ${file}`,
        hint: `free space on that disk ("df -h ${disk.dir}" shows what is left), then try again`,
      });

      disk.free();
      const store = await openSqliteStore(file);
      disk.fill();
      let error: unknown;
      // The write-ahead log grows by pages: the first appends may still fit in its last one.
      for (let i = 0; i < 1000 && error === undefined; i++) {
        await store.appendEvent(anEvent({ message: 'x'.repeat(2000) })).catch((e: unknown) => (error = e));
      }
      await store.close().catch(() => undefined);
      expect(error).toBeInstanceOf(DiskFullError);
      expect((error as DiskFullError).message).toBe(`no space left on the disk holding ${file}`);
    } finally {
      disk.unmount();
    }
  });

  it('refuses a file that is not a SQLite database, naming the file', async () => {
    const file = path.join(stores.makeDir(), 'store.db');
    fs.writeFileSync(file, 'this is not a database, just some text that is long enough to have a header');

    const error = await openSqliteStore(file).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).message).toContain(file);
  });
});

describe('isUpToDate', () => {
  it.each([
    [['a', 'b'], ['a', 'b'], true],
    [['b', 'a'], ['a', 'b'], true],
    [[], ['a', 'b'], false],
    [['a'], ['a', 'b'], false],
    [['a', 'b', 'c'], ['a', 'b'], false],
  ])('applied %j of known %j: %s', (applied, known, expected) => {
    expect(isUpToDate(applied, known)).toBe(expected);
  });
});

describe('openMemoryStore', () => {
  it('gives each caller a private, migrated store', async () => {
    const a = await openMemoryStore();
    const b = await openMemoryStore();
    try {
      await a.createRelease(aRelease());
      expect(await a.listReleases('shop')).toHaveLength(1);
      expect(await b.listReleases('shop')).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('openPostgresStore', () => {
  const postgres = useTestPostgres();
  const databaseOf = (url: string) => new URL(url).pathname.slice(1);
  const appliedIn = async (url: string) =>
    (
      await (
        await postgres.server()
      ).query<{ name: string }>(databaseOf(url), `select name from ${MIGRATION_TABLE} order by name`)
    ).map((r) => r.name);

  it('creates every table of the schema in an empty database, with the ledger sequence as an identity', async () => {
    const url = await postgres.freshDatabase();

    await stores.open({ kind: 'postgres', url });

    const server = await postgres.server();
    const tables = await server.query<{ name: string }>(
      databaseOf(url),
      `select table_name as name from information_schema.tables where table_schema = 'public'`,
    );
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'deployment_steps',
        'deployments',
        'environment_locks',
        'ledger_events',
        'releases',
      ]),
    );
    const [seq] = await server.query<{ data_type: string; is_identity: string }>(
      databaseOf(url),
      `select data_type, is_identity from information_schema.columns
       where table_name = 'ledger_events' and column_name = 'seq'`,
    );
    expect(seq).toEqual({ data_type: 'bigint', is_identity: 'YES' });
    expect(await appliedIn(url)).toEqual(Object.keys(buildStoreMigrations('postgres')).sort());
  });

  it('applies no migration twice and keeps the data when a store is opened again', async () => {
    const url = await postgres.freshDatabase();
    const first = await openPostgresStore(url);
    await first.createRelease(aRelease());
    await first.close();

    const again = await stores.open({ kind: 'postgres', url });

    expect(await appliedIn(url)).toEqual(Object.keys(buildStoreMigrations('postgres')).sort());
    expect(await again.getRelease('shop', '1.0.0')).toEqual({ ...aRelease(), source: null });
  });

  it('refuses a store migrated by a newer slipway and says to upgrade, without the password', async () => {
    const url = await postgres.freshDatabase();
    await (await openPostgresStore(url)).close();
    await (
      await postgres.server()
    ).query(databaseOf(url), `insert into ${MIGRATION_TABLE} (name, timestamp) values ($1, $2)`, [
      '9999_future',
      '2030-01-01',
    ]);

    const error = await openPostgresStore(url).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).message).toContain('9999_future');
    expect((error as SlipwayError).message).not.toContain(PG_PASSWORD);
    expect((error as SlipwayError).hint).toMatch(/upgrade slipway/);
  });

  it('says which server it could not reach or log in to, with the password redacted', async () => {
    const url = await postgres.freshDatabase();
    const wrongPassword = url.replace(`:${PG_PASSWORD}@`, ':not-the-password@');
    const noDatabase = url.replace(/\/[^/]+$/, '/no_such_database');

    const errors = await Promise.all(
      [wrongPassword, noDatabase].map((u) => openPostgresStore(u).catch((e: unknown) => e)),
    );

    for (const error of errors) {
      expect(error).toBeInstanceOf(SlipwayError);
      const { message, hint } = error as SlipwayError;
      expect(message).toContain(`could not connect to the store at postgres://slipway:***@127.0.0.1:`);
      expect(message).not.toMatch(/not-the-password|secret-pw/);
      expect(hint).toMatch(/SLIPWAY_STORE_URL/);
    }
    expect((errors[0] as Error).message).toMatch(/password authentication failed/);
    expect((errors[1] as Error).message).toMatch(/no_such_database/);
  });
});
