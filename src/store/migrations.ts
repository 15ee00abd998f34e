import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { SlipwayError } from '../core/errors.js';
import { createAgentCursorTable } from './agent-cursors.js';
import type { StoreDatabase } from './schema.js';
import { addWebhookBodyDigests, createTriggerTables } from './triggers.js';
import { createServerAuthTables } from './server-auth-tables.js';
import { createServerJobTables } from './server-jobs.js';

/** The SQL databases the store runs on; chosen once, in open-store.ts. */
export type StoreDialectName = 'sqlite' | 'postgres';

export const MIGRATION_TABLE = 'slipway_migration';
export const MIGRATION_LOCK_TABLE = 'slipway_migration_lock';

/**
 * Every schema migration, keyed by name (applied in name order, never edited once released).
 * Only the ledger's sequence column differs between dialects; everything else is the portable subset.
 */
export function buildStoreMigrations(dialect: StoreDialectName): Record<string, Migration> {
  return {
    '0001_initial': { up: (db) => createInitialSchema(db, dialect) },
    '0002_app_migrations': { up: (db) => createAppBackupsTable(db) },
    '0003_verification': { up: (db) => createVerificationSchema(db, dialect) },
    '0004_pipeline': { up: (db) => createPipelineSchema(db) },
    '0005_triggers': { up: (db) => createTriggerTables(db) },
    '0007_monitoring': { up: (db) => createMonitoringSchema(db) },
    '0008_api_tokens': { up: (db) => createApiTokensTable(db) },
    '0009_server_auth': { up: (db) => createServerAuthTables(db) },
    '0010_server_jobs': { up: (db) => createServerJobTables(db, dialect) },
    '0011_agent_cursors': { up: (db) => createAgentCursorTable(db) },
    '0012_webhook_body_digests': { up: (db) => addWebhookBodyDigests(db) },
  };
}

export function buildMigrationProvider(dialect: StoreDialectName): MigrationProvider {
  return { getMigrations: () => Promise.resolve(buildStoreMigrations(dialect)) };
}

/**
 * Applies pending migrations. Safe when several processes open one store at once: on SQLite, Kysely runs
 * migrations with neither a transaction nor a lock, so we hold the database's write lock
 * (BEGIN IMMEDIATE, which waits out busy_timeout) around the whole run; that also makes each migration
 * all-or-nothing. PostgreSQL gets both from Kysely's adapter (transactional DDL and an advisory lock).
 * A SQLite store that is up to date is only read: opening it must not wait for (or fail on) another process's
 * write, or `slipway status` could not answer while a deploy writes.
 */
export async function migrateStoreToLatest(
  db: Kysely<StoreDatabase>,
  dialect: StoreDialectName,
  where: string,
): Promise<void> {
  if (dialect === 'postgres') return runMigrator(db, dialect, where);
  if (isUpToDate(await readAppliedMigrations(db), Object.keys(buildStoreMigrations(dialect)))) return;
  await db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      await runMigrator(connection, dialect, where);
      await sql`commit`.execute(connection);
    } catch (error) {
      await sql`rollback`.execute(connection);
      throw error;
    }
  });
}

/** The names of the migrations applied to the store; none when it has no migration table yet. A read only. */
async function readAppliedMigrations(db: Kysely<StoreDatabase>): Promise<string[]> {
  const table = await sql<{
    name: string;
  }>`select name from sqlite_master where type = 'table' and name = ${MIGRATION_TABLE}`.execute(db);
  if (table.rows.length === 0) return [];
  const applied = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(db);
  return applied.rows.map((r) => r.name);
}

/**
 * Exactly the known migrations are applied: nothing to do. Any other set (some missing, or some this version
 * does not know, from a newer slipway) goes through the migrator, which applies or refuses as it must. Pure.
 */
export function isUpToDate(applied: readonly string[], known: readonly string[]): boolean {
  const set = new Set(applied);
  return set.size === known.length && known.every((name) => set.has(name));
}

async function runMigrator(
  db: Kysely<StoreDatabase>,
  dialect: StoreDialectName,
  where: string,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: buildMigrationProvider(dialect),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName;
  const reason = error instanceof Error ? error.message : JSON.stringify(error);
  throw new SlipwayError(
    `could not migrate the store at ${where}${failed ? ` (migration ${failed})` : ''}: ${reason}`,
    {
      cause: error,
      hint: reason.includes('is missing')
        ? 'this store was migrated by a newer slipway: upgrade slipway'
        : 'restore the store from a backup or move it aside to start a new one',
    },
  );
}

async function createInitialSchema(db: Kysely<unknown>, dialect: StoreDialectName): Promise<void> {
  await db.schema
    .createTable('releases')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('artifact_path', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('config_json', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text')
    .addPrimaryKeyConstraint('releases_pk', ['app', 'version'])
    .execute();
  await db.schema
    .createIndex('releases_by_app_time')
    .on('releases')
    .columns(['app', 'created_at_ms'])
    .execute();

  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('release_version', 'text', (c) => c.notNull())
    .addColumn('previous_version', 'text')
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('plan_json', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('outcome', 'text')
    .addColumn('finished_at_ms', 'bigint')
    .addColumn('error', 'text')
    .execute();
  await db.schema
    .createIndex('deployments_by_app_environment_time')
    .on('deployments')
    .columns(['app', 'environment', 'created_at_ms'])
    .execute();

  await db.schema
    .createTable('deployment_steps')
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at_ms', 'bigint')
    .addColumn('finished_at_ms', 'bigint')
    .addColumn('error', 'text')
    .addColumn('output_json', 'text')
    .addPrimaryKeyConstraint('deployment_steps_pk', ['deployment_id', 'idx'])
    .execute();

  await db.schema
    .createTable('ledger_events')
    .addColumn('seq', dialect === 'sqlite' ? 'integer' : 'bigint', (c) =>
      // AUTOINCREMENT: SQLite never reuses a sequence number; PostgreSQL's identity column is the same promise.
      dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity(),
    )
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('environment', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text')
    .addColumn('release', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('data_json', 'text')
    .execute();
  await db.schema.createIndex('ledger_events_by_app').on('ledger_events').columns(['app', 'seq']).execute();
  await db.schema
    .createIndex('ledger_events_by_deployment')
    .on('ledger_events')
    .columns(['deployment_id'])
    .execute();

  await db.schema
    .createTable('environment_locks')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('acquired_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('environment_locks_pk', ['app', 'environment'])
    .execute();
}

async function createMonitoringSchema(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('metric_samples')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('resolution', 'text', (c) => c.notNull())
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    // One value per series and time: a sample collected twice (a retried round) is stored once.
    .addPrimaryKeyConstraint('metric_samples_pk', [
      'app',
      'environment',
      'resolution',
      'metric',
      'host',
      'subject',
      'at_ms',
    ])
    .execute();
  await db.schema
    .createIndex('metric_samples_by_time')
    .on('metric_samples')
    .columns(['app', 'environment', 'resolution', 'at_ms'])
    .execute();
  await db.schema
    .createTable('monitor_states')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('since_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('data_json', 'text')
    .addPrimaryKeyConstraint('monitor_states_pk', ['app', 'environment', 'key'])
    .execute();
  await db.schema
    .createTable('error_groups')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('release', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('first_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('sample_json', 'text')
    .addPrimaryKeyConstraint('error_groups_pk', ['app', 'environment', 'release', 'kind', 'fingerprint'])
    .execute();
}

/** Releases marked good per environment (the bake passed there). */
async function createPipelineSchema(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('release_marks')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('marked_by', 'text', (c) => c.notNull())
    .addColumn('marked_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('release_marks_pk', ['app', 'environment', 'version'])
    .execute();
}

/** Verification results per release and environment; the newest passing one is the next baseline. */
async function createVerificationSchema(db: Kysely<unknown>, dialect: StoreDialectName): Promise<void> {
  await db.schema
    .createTable('verifications')
    .addColumn('id', dialect === 'sqlite' ? 'integer' : 'bigint', (c) =>
      dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity(),
    )
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('release', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text')
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('checks_json', 'text', (c) => c.notNull())
    .addColumn('performance_json', 'text')
    .execute();
  await db.schema
    .createIndex('verifications_by_release')
    .on('verifications')
    .columns(['app', 'environment', 'release', 'id'])
    .execute();
}

/** Backups of the apps' databases, taken before migrations (src/migrate). */
async function createAppBackupsTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('app_backups')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('release', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text')
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('tables', 'integer', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('app_backups_pk', ['app', 'id'])
    .execute();
  await db.schema
    .createIndex('app_backups_by_environment_time')
    .on('app_backups')
    .columns(['app', 'environment', 'created_at_ms'])
    .execute();
}

async function createApiTokensTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('grants_json', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint')
    .addColumn('last_used_at_ms', 'bigint')
    .addColumn('revoked_at_ms', 'bigint')
    .execute();
}
