import type { MigrationPhase } from './classify-migration.js';

/** A migration recorded in the app's database (table `slipway_migrations`). */
export interface AppliedMigration {
  name: string;
  checksum: string;
  phase: MigrationPhase;
  release: string;
  appliedAtMs: number;
  /** The down SQL that came with it (kept so a rollback can revert it without the newer release's files). */
  downSql: string | null;
}

export interface MigrationToApply {
  name: string;
  checksum: string;
  phase: MigrationPhase;
  release: string;
  upSql: string;
  downSql: string | null;
}

/** Every row of every table, as one hash per row (a multiset, so duplicates count). */
export type RowFingerprints = Map<string, string[]>;

/** Tables and their columns (the migrations lock table left out). */
export type TableColumns = Map<string, string[]>;

/** Rows to compare: hashed over the given columns of each table, so a dropped column does not change a row. */
export interface RowSource {
  listColumns(): Promise<TableColumns>;
  fingerprintRows(columns: TableColumns): Promise<RowFingerprints>;
}

/**
 * The app's database, as migrations and backups need it. Implemented for PostgreSQL (pg, pg_dump) and
 * SQLite (better-sqlite3); each is checked by the same integration tests.
 */
export interface AppDatabase extends RowSource {
  kind: 'postgres' | 'sqlite';
  /** Where it is, safe to print (no password). */
  where: string;
  listApplied(): Promise<AppliedMigration[]>;
  /**
   * Runs `fn` holding the database's migration lock (pg_advisory_lock, or a lock row for SQLite), so two
   * deploys never migrate at once. `onWait` is called once if another holder makes us wait.
   */
  withMigrationLock<T>(holder: string, onWait: (holder: string) => void, fn: () => Promise<T>): Promise<T>;
  /** Runs the up SQL and records it, in one transaction: a failure leaves schema and data as before. */
  apply(migration: MigrationToApply, nowMs: number): Promise<void>;
  /** Runs a recorded migration's down SQL and removes its record, in one transaction. */
  revert(migration: AppliedMigration): Promise<void>;
  /** Writes a backup to `file` (pg_dump custom format, or SQLite's online backup). */
  backup(file: string): Promise<void>;
  /** Proves a backup is usable (pg_restore --list, or SQLite integrity_check); returns its table count. */
  verifyBackup(file: string): Promise<{ tables: number }>;
  /** The backup restored into a scratch database (dropped afterwards), to read its rows. */
  withBackupSnapshot<T>(file: string, fn: (snapshot: RowSource) => Promise<T>): Promise<T>;
  /** Replaces the database's content with the backup's; tables created since the backup are dropped. */
  restore(file: string): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_TABLE = 'slipway_migrations';
export const MIGRATION_LOCK_TABLE = 'slipway_migration_lock';
