// Builders and a temp-store harness shared by the store's tests (not part of the store's API). The store's tests
// are a contract suite: `describeEachStore` runs them against SQLite and against a real PostgreSQL.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../../test/helpers/postgres.js';
import type { NewDeployment } from './deployments.js';
import type { NewLedgerEvent } from './ledger.js';
import type { LockRequest } from './locks.js';
import { openStore, type StoreLocation } from './open-store.js';
import type { NewRelease } from './releases.js';
import type { Store } from './store.js';

export const T0 = Date.UTC(2025, 0, 15, 9, 30);

export type StoreKind = StoreLocation['kind'];
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres'];

export interface TempStores {
  kind: StoreKind;
  makeDir(): string;
  /** A new, empty store: a file in a temp dir, or a fresh database on this test file's PostgreSQL. */
  location(): Promise<StoreLocation>;
  /** A path for a new SQLite store file (SQLite-only tests). */
  storeFile(): string;
  /** Opens `location` (default: a new one; a string is a SQLite file); closed after the test. */
  open(location?: StoreLocation | string): Promise<Store>;
  /** Runs SQL on the store from another process (the sqlite3 library's own connection, or psql), synchronously. */
  execSqlSync(location: StoreLocation, statement: string): void;
}

/** Runs `body` once per store kind, each in its own describe block named after the kind. */
export function describeEachStore(name: string, body: (stores: TempStores) => void): void {
  for (const kind of STORE_KINDS) describe(`${name} [${kind}]`, () => body(useTempStores(kind)));
}

/** Registers cleanup for every temp dir, database and store made through it; call in a describe block. */
export function useTempStores(kind: StoreKind = 'sqlite'): TempStores {
  const dirs: string[] = [];
  const stores: Store[] = [];
  const postgres = kind === 'postgres' ? useTestPostgres() : undefined;
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const makeDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-store-'));
    dirs.push(dir);
    return dir;
  };
  const storeFile = () => path.join(makeDir(), '.slipway', 'store.db');
  const location = async (): Promise<StoreLocation> => {
    if (!postgres) return { kind: 'sqlite', file: storeFile() };
    return { kind: 'postgres', url: await postgres.freshDatabase() };
  };
  return {
    kind,
    makeDir,
    location,
    storeFile,
    async open(where) {
      const resolved = typeof where === 'string' ? { kind: 'sqlite' as const, file: where } : where;
      const store = await openStore(resolved ?? (await location()));
      stores.push(store);
      return store;
    },
    execSqlSync(where, statement) {
      if (where.kind === 'sqlite') {
        const db = new Database(where.file);
        try {
          db.prepare(statement).run();
        } finally {
          db.close();
        }
      } else {
        execFileSync('psql', [where.url, '-q', '-v', 'ON_ERROR_STOP=1', '-c', statement], { stdio: 'pipe' });
      }
    },
  };
}

// One PostgreSQL server per test file: started by the first block that needs it, stopped after the whole file.
// This module is evaluated afresh for each test file (vitest isolates files), while the file is being collected,
// so this afterAll belongs to the file itself: it runs even when a filter (-t) skips the blocks that used it.
let server: Promise<TestPostgres> | undefined;
let databases = 0;
afterAll(async () => {
  const running = server;
  server = undefined;
  if (running) await (await running).stop();
}, 60_000);

/** A fresh database per call on this test file's PostgreSQL. */
export function useTestPostgres(): { server(): Promise<TestPostgres>; freshDatabase(): Promise<string> } {
  beforeAll(async () => {
    server ??= startTestPostgres();
    await server;
  }, 120_000);
  const get = (): Promise<TestPostgres> => server ?? Promise.reject(new Error('PostgreSQL is not started'));
  return {
    server: get,
    async freshDatabase() {
      const pg = await get();
      const name = `store_${process.pid}_${++databases}`;
      // A linguistic collation, as production servers usually have (en_US.UTF-8), rather than byte order: the
      // store must list text the same way as on SQLite whatever the database's collation.
      await pg.query(
        'postgres',
        `CREATE DATABASE "${name}" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`,
      );
      return pg.url(name);
    },
  };
}

export function aRelease(overrides: Partial<NewRelease> = {}): NewRelease {
  return {
    app: 'shop',
    version: '1.0.0',
    sha256: 'a'.repeat(64),
    artifactPath: '.slipway/releases/shop-1.0.0.tar.gz',
    sizeBytes: 1234,
    config: { port: 3000, env: { NODE_ENV: 'production' } },
    createdBy: 'ada@laptop',
    createdAtMs: T0,
    ...overrides,
  };
}

export function aDeployment(overrides: Partial<NewDeployment> = {}): NewDeployment {
  return {
    id: 'd-0001',
    app: 'shop',
    environment: 'production',
    kind: 'deploy',
    releaseVersion: '1.0.0',
    previousVersion: null,
    strategy: 'blue-green',
    plan: { stages: [{ kind: 'start-target' }, { kind: 'switch-traffic' }] },
    createdBy: 'ada@laptop',
    createdAtMs: T0,
    ...overrides,
  };
}

export function anEvent(overrides: Partial<NewLedgerEvent> = {}): NewLedgerEvent {
  return {
    atMs: T0,
    actor: 'ada@laptop',
    app: 'shop',
    environment: 'production',
    kind: 'deploy.started',
    message: 'deploying 1.0.0',
    ...overrides,
  };
}

export function aLockRequest(overrides: Partial<LockRequest> = {}): LockRequest {
  return {
    app: 'shop',
    environment: 'production',
    holder: 'ada@laptop',
    pid: 4242,
    hostname: 'laptop',
    deploymentId: 'd-0001',
    atMs: T0,
    ...overrides,
  };
}
