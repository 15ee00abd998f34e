import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { SlipwayError } from '../core/errors.js';
import { isProcessAlive } from '../agent/process-util.js';
import {
  MIGRATION_LOCK_TABLE,
  MIGRATIONS_TABLE,
  type AppDatabase,
  type AppliedMigration,
  type RowFingerprints,
  type RowSource,
  type TableColumns,
} from './app-database.js';

const LOCK_POLL_MS = 200;

export function openSqliteDatabase(file: string, lockTimeoutMs: number): Promise<AppDatabase> {
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma('busy_timeout = 5000');
  } catch (err) {
    throw new SlipwayError(`cannot open the SQLite database ${file}: ${(err as Error).message}`);
  }
  const tableExists = (d: Database.Database, name: string): boolean =>
    d.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
  const columnsOf = (d: Database.Database): TableColumns => {
    const tables = d
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ? ORDER BY name`,
      )
      .all(MIGRATION_LOCK_TABLE) as Array<{ name: string }>;
    const out: TableColumns = new Map();
    for (const { name } of tables) {
      const cols = d.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as Array<{ name: string }>;
      out.set(
        name,
        cols.map((c) => c.name),
      );
    }
    return out;
  };
  const fingerprintsOf = (d: Database.Database, columns: TableColumns): RowFingerprints => {
    const out: RowFingerprints = new Map();
    for (const [name, cols] of columns) {
      const list = cols.length ? cols.map(quoteIdent).join(', ') : 'NULL';
      const rows = d
        .prepare(`SELECT ${list} FROM ${quoteIdent(name)}`)
        .raw()
        .all() as unknown[][];
      out.set(
        name,
        rows.map((r) => createHash('md5').update(JSON.stringify(r)).digest('hex')),
      );
    }
    return out;
  };
  const rowSource = (d: () => Database.Database): RowSource => ({
    listColumns: () => Promise.resolve(columnsOf(d())),
    fingerprintRows: (columns) => Promise.resolve(fingerprintsOf(d(), columns)),
  });
  const database: AppDatabase = {
    kind: 'sqlite',
    where: file,
    listApplied: () => {
      if (!tableExists(db, MIGRATIONS_TABLE)) return Promise.resolve([]);
      const rows = db
        .prepare(
          `SELECT name, checksum, phase, release, applied_at_ms, down_sql FROM ${MIGRATIONS_TABLE} ORDER BY name`,
        )
        .all() as Array<{
        name: string;
        checksum: string;
        phase: string;
        release: string;
        applied_at_ms: number;
        down_sql: string | null;
      }>;
      return Promise.resolve(
        rows.map((r): AppliedMigration => ({
          name: r.name,
          checksum: r.checksum,
          phase: r.phase === 'expand' ? 'expand' : 'contract',
          release: r.release,
          appliedAtMs: Number(r.applied_at_ms),
          downSql: r.down_sql,
        })),
      );
    },
    withMigrationLock: async (holder, onWait, fn) => {
      // SQLite has no advisory locks: a single lock row, inserted by whoever migrates; a holder whose process
      // on this machine is gone is taken over.
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${MIGRATION_LOCK_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1),
         holder TEXT NOT NULL, pid INTEGER NOT NULL, hostname TEXT NOT NULL, acquired_at_ms INTEGER NOT NULL)`,
      );
      const deadline = Date.now() + lockTimeoutMs;
      let waited = false;
      for (;;) {
        const taken = db
          .transaction(() => {
            const row = db.prepare(`SELECT holder, pid, hostname FROM ${MIGRATION_LOCK_TABLE}`).get() as
              { holder: string; pid: number; hostname: string } | undefined;
            if (row && !(row.hostname === hostname() && !isProcessAlive(row.pid))) return row;
            db.prepare(`INSERT OR REPLACE INTO ${MIGRATION_LOCK_TABLE} VALUES (1, ?, ?, ?, ?)`).run(
              holder,
              process.pid,
              hostname(),
              Date.now(),
            );
            return null;
          })
          .immediate();
        if (taken === null) break;
        if (!waited) onWait(`${taken.holder} (pid ${taken.pid} on ${taken.hostname})`);
        waited = true;
        if (Date.now() > deadline)
          throw new SlipwayError(`gave up waiting for the migration lock held by ${taken.holder}`);
        await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
      }
      try {
        return await fn();
      } finally {
        db.prepare(`DELETE FROM ${MIGRATION_LOCK_TABLE} WHERE pid = ? AND hostname = ?`).run(
          process.pid,
          hostname(),
        );
      }
    },
    apply: (m, nowMs) => {
      try {
        db.transaction(() => {
          db.exec(
            `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, checksum TEXT NOT NULL,
             phase TEXT NOT NULL, release TEXT NOT NULL, applied_at_ms INTEGER NOT NULL, down_sql TEXT)`,
          );
          db.exec(m.upSql);
          db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} VALUES (?, ?, ?, ?, ?, ?)`).run(
            m.name,
            m.checksum,
            m.phase,
            m.release,
            nowMs,
            m.downSql,
          );
        }).immediate();
      } catch (err) {
        throw new SlipwayError(`migration ${m.name} failed and was rolled back: ${(err as Error).message}`);
      }
      return Promise.resolve();
    },
    revert: (m) => {
      const down = m.downSql;
      if (down === null) throw new SlipwayError(`migration ${m.name} has no down migration`);
      try {
        db.transaction(() => {
          db.exec(down);
          db.prepare(`DELETE FROM ${MIGRATIONS_TABLE} WHERE name = ?`).run(m.name);
        }).immediate();
      } catch (err) {
        throw new SlipwayError(
          `down migration of ${m.name} failed and was rolled back: ${(err as Error).message}`,
        );
      }
      return Promise.resolve();
    },
    backup: async (file) => {
      await db.backup(file);
    },
    verifyBackup: (file) => {
      const copy = new Database(file, { readonly: true, fileMustExist: true });
      try {
        const check = copy.pragma('integrity_check', { simple: true });
        if (check !== 'ok')
          throw new SlipwayError(`backup ${file} failed its integrity check: ${String(check)}`);
        return Promise.resolve({ tables: columnsOf(copy).size });
      } finally {
        copy.close();
      }
    },
    listColumns: () => Promise.resolve(columnsOf(db)),
    fingerprintRows: (columns) => Promise.resolve(fingerprintsOf(db, columns)),
    withBackupSnapshot: async (file, fn) => {
      // A scratch copy, so that reading the backup cannot change it.
      const dir = await mkdtemp(join(tmpdir(), 'slipway-scratch-'));
      try {
        await copyFile(file, join(dir, 'scratch.db'));
        const scratch = new Database(join(dir, 'scratch.db'), { readonly: true });
        try {
          return await fn(rowSource(() => scratch));
        } finally {
          scratch.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    restore: async (file) => {
      // SQLite's backup API in the other direction: the live file's pages are replaced, in one go.
      const source = new Database(file, { readonly: true, fileMustExist: true });
      try {
        db.close();
        await source.backup(file === database.where ? `${file}.restore` : database.where);
      } finally {
        source.close();
        db = new Database(database.where);
        db.pragma('busy_timeout = 5000');
      }
      // The backup may have caught another migrator's lock row; the lock is ours while we restore.
      if (tableExists(db, MIGRATION_LOCK_TABLE)) db.prepare(`DELETE FROM ${MIGRATION_LOCK_TABLE}`).run();
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
  return Promise.resolve(database);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
