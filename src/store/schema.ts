import type { Generated } from 'kysely';

/**
 * The store's tables as Kysely sees them. Column types are the portable subset shared by SQLite and
 * PostgreSQL: text, integer/bigint (times are epoch milliseconds, `*_at_ms`), and text holding JSON
 * (`*_json`, serialised and parsed by the repositories, see json-column.ts).
 */
export interface StoreDatabase {
  releases: ReleasesTable;
  deployments: DeploymentsTable;
  deployment_steps: DeploymentStepsTable;
  ledger_events: LedgerEventsTable;
  environment_locks: EnvironmentLocksTable;
  app_backups: AppBackupsTable;
}

export interface ReleasesTable {
  app: string;
  version: string;
  sha256: string;
  artifact_path: string;
  size_bytes: number;
  config_json: string;
  created_by: string;
  created_at_ms: number;
  source: string | null;
}

export interface DeploymentsTable {
  id: string;
  app: string;
  environment: string;
  kind: string;
  release_version: string;
  previous_version: string | null;
  strategy: string;
  plan_json: string;
  created_by: string;
  created_at_ms: number;
  reason: string | null;
  /** Null while the executor runs; the running phase is derived from the steps, never stored twice. */
  outcome: string | null;
  finished_at_ms: number | null;
  error: string | null;
}

export interface DeploymentStepsTable {
  deployment_id: string;
  /** The step's index in the plan (`index` is a reserved word in SQL). */
  idx: number;
  status: string;
  started_at_ms: number | null;
  finished_at_ms: number | null;
  error: string | null;
  output_json: string | null;
}

export interface LedgerEventsTable {
  seq: Generated<number>;
  at_ms: number;
  actor: string;
  app: string;
  environment: string | null;
  kind: string;
  deployment_id: string | null;
  release: string | null;
  message: string;
  data_json: string | null;
}

export interface EnvironmentLocksTable {
  app: string;
  environment: string;
  holder: string;
  pid: number;
  hostname: string;
  deployment_id: string;
  acquired_at_ms: number;
}

/** Backups of apps' databases taken before migrations (migration 0002_app_migrations). */
export interface AppBackupsTable {
  id: string;
  app: string;
  environment: string;
  release: string;
  deployment_id: string | null;
  format: string;
  path: string;
  size_bytes: number;
  sha256: string;
  tables: number;
  created_at_ms: number;
}
