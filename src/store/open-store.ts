import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { SlipwayError } from '../core/errors.js';
import { migrateStoreToLatest, type StoreDialectName } from './migrations.js';
import type { StoreDatabase } from './schema.js';
import { createStore, type Store } from './store.js';
import { translateSqliteError, withStoreErrors } from './store-errors.js';
import { redactStoreUrl } from './parse-store-url.js';

/**
 * Where the store lives: a SQLite file (the CLI's default) or a PostgreSQL database, given by its URL
 * (`postgres://user:password@host:port/database`, a secret: messages show it redacted).
 */
export type StoreLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** How long a writer waits for another process's write to finish before giving up with SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

const MEMORY = ':memory:';

/** Opens (creating if needed) the store at `location` and brings its schema up to date. */
export async function openStore(location: StoreLocation): Promise<Store> {
  const translate = storeErrorTranslation(location);
  const { db, dialect, where } = await connectStoreDatabase(location).catch((error: unknown) => {
    throw translate(error);
  });
  try {
    await migrateStoreToLatest(db, dialect, where);
  } catch (error) {
    await db.destroy();
    throw translate(error);
  }
  return withStoreErrors(createStore(db), translate);
}

/** How the store's driver errors are told: busy and full SQLite files by name; PostgreSQL's as they are. */
function storeErrorTranslation(location: StoreLocation): (error: unknown) => unknown {
  if (location.kind !== 'sqlite' || location.file === MEMORY) return (error) => error;
  const context = { file: path.resolve(location.file), busyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS };
  // The driver's error may be wrapped in ours ("could not open/migrate the store"): its cause decides.
  return (error) => {
    const cause = error instanceof SlipwayError && error.cause !== undefined ? error.cause : error;
    const told = translateSqliteError(cause, context);
    return told === cause ? error : told;
  };
}

/** The CLI's embedded store: a SQLite file (its parent directory is created), usually under `.slipway/`. */
export function openSqliteStore(file: string): Promise<Store> {
  return openStore({ kind: 'sqlite', file });
}

/** A private in-memory SQLite store, for unit tests. */
export function openMemoryStore(): Promise<Store> {
  return openStore({ kind: 'sqlite', file: MEMORY });
}

/** A PostgreSQL store (the database must exist; its tables are created on first open). */
export function openPostgresStore(url: string): Promise<Store> {
  return openStore({ kind: 'postgres', url });
}

/** The store's location for messages: a file path, or the URL without its password. */
export function describeStoreLocation(location: StoreLocation): string {
  return location.kind === 'sqlite' ? location.file : redactStoreUrl(location.url);
}

/** The one place that chooses and configures the SQL dialect. */
async function connectStoreDatabase(
  location: StoreLocation,
): Promise<{ db: Kysely<StoreDatabase>; dialect: StoreDialectName; where: string }> {
  switch (location.kind) {
    case 'sqlite': {
      const database = await openSqliteDatabase(location.file);
      return {
        db: new Kysely<StoreDatabase>({ dialect: new SqliteDialect({ database }) }),
        dialect: 'sqlite',
        where: location.file,
      };
    }
    case 'postgres': {
      // The PostgreSQL driver is loaded only for a PostgreSQL store: the CLI's SQLite store never parses it.
      const { openPostgresDatabase } = await import('./postgres-database.js');
      return {
        db: await openPostgresDatabase(location.url),
        dialect: 'postgres',
        where: redactStoreUrl(location.url),
      };
    }
  }
}

/**
 * SQLite answers SQLITE_BUSY at once, without its busy handler, when another process opening the same fresh file
 * holds the lock that the switch to WAL needs; that other process is done within milliseconds, so try again.
 */
async function switchToWal(database: Database.Database): Promise<void> {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      database.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      const busy = (error as { code?: string }).code === 'SQLITE_BUSY';
      if (!busy || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.floor(Math.random() * 20)));
    }
  }
}

async function openSqliteDatabase(file: string): Promise<Database.Database> {
  if (file !== MEMORY) await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  let database: Database.Database | undefined;
  try {
    database = new Database(file);
    // busy_timeout first: switching to WAL needs a lock another process may briefly hold.
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    // WAL lets readers (a dashboard, `slipway status`) run while a deploy writes.
    await switchToWal(database);
    database.pragma('foreign_keys = ON');
    return database;
  } catch (error) {
    database?.close();
    throw new SlipwayError(`could not open the store at ${file}: ${(error as Error).message}`, {
      cause: error,
      hint: 'check that the directory is writable and the file is a Slipway store (SQLite)',
    });
  }
}
