import type { Secret } from '../core/secret.js';
import { DEFAULTS } from '../config/defaults.js';
import type { AppliedMigration } from './app-database.js';
import type { DatabaseRef } from './migration-steps.js';
import { deriveDatabaseRef, withAppDatabase } from './open-app-database.js';
import { migrationsDir, type DatabasePlanInput } from './plan-database-stages.js';
import { readReleaseMigrations, type ReleaseMigration } from './read-release-migrations.js';

// The reads a plan's database stages need (the planner itself, planDatabaseStages, is pure).

/** What `loadDatabaseInputs` read: the database's reference and, for migration files, the files and what ran. */
export interface LoadedDatabase {
  database: DatabaseRef;
  /** The release's migration files and the database's applied migrations; null for a migration command. */
  migrations: { files: ReleaseMigration[]; applied: AppliedMigration[] } | null;
}

/**
 * Reads what the database stages are planned from: the database URL's secret (to learn its kind), the release's
 * migration files and the database's applied migrations. Null when the environment has no database, or when its
 * migration command has nothing to run (anything but a deploy). Nothing is changed.
 */
export async function loadDatabaseInputs(
  input: DatabasePlanInput,
  loadSecrets: (names: readonly string[]) => Promise<Map<string, Secret>>,
): Promise<LoadedDatabase | null> {
  const config = input.env.database;
  if (!config) return null;
  if (config.migrations.command !== undefined && input.mode !== 'deploy') return null;
  const secrets = await loadSecrets(config.urlSecret ? [config.urlSecret] : []);
  const database = deriveDatabaseRef(config, input.projectDir, secrets);
  if (config.migrations.command !== undefined) return { database, migrations: null };
  const files = await readReleaseMigrations(input.release.artifact, migrationsDir(config));
  const lockTimeoutMs = DEFAULTS.database.lockTimeoutMs;
  const applied = await withAppDatabase(database, secrets, lockTimeoutMs, (db) => db.listApplied());
  return { database, migrations: { files, applied } };
}
