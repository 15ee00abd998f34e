import type { RouteSelector } from '../config/config-values-front-door.js';
import type { MigrationPhase, StatementClassification } from './classify-migration.js';

/** The app's database as a plan names it: never a password (a URL with one is only named by its secret). */
export interface DatabaseRef {
  kind: 'postgres' | 'sqlite';
  /** Safe to print: the URL without password, or the SQLite file. */
  where: string;
  /** The URL (or absolute SQLite file) when it holds no secret. */
  url: string | null;
  /** Otherwise the secret holding the URL. */
  urlSecret: string | null;
}

export interface PlannedMigration {
  name: string;
  checksum: string;
  phase: MigrationPhase;
  hasDown: boolean;
  statements: StatementClassification[];
}

/** Before migrating: a backup of the app's database, verified, stored with the release; old ones pruned. */
export interface BackupDatabaseStep {
  kind: 'backup-database';
  host: 'control-plane';
  app: string;
  environment: string;
  release: string;
  database: DatabaseRef;
  retain: number;
}

/**
 * Runs migrations of the release being deployed (read from its artifact) under the database's migration lock:
 * `up` in name order, each in its own transaction; `down` (asked for in a rollback) newest first. `held`
 * contract migrations are only reported. With `command`, the app's own tool runs instead of files.
 */
export interface MigrateStep {
  kind: 'migrate';
  host: 'control-plane';
  app: string;
  environment: string;
  release: string;
  /** The release artifact (control plane's store) the migration files are read from. */
  artifact: string;
  phase: MigrationPhase;
  database: DatabaseRef;
  dir: string;
  command: { run: string; env: Record<string, string>; secretNames: string[] } | null;
  up: PlannedMigration[];
  down: Array<{ name: string; release: string; phase: MigrationPhase }>;
  held: PlannedMigration[];
  /** Contract phase: refuse unless no target of a release other than this one runs on any host. */
  requireOnlyRelease: boolean;
  /** The environment's hosts (where older targets are looked for). */
  hosts: string[];
  /**
   * Which route and targets on those hosts are the environment's (`routeSelectorOf`); absent in plans made before
   * it: the app's.
   */
  route?: RouteSelector;
}
