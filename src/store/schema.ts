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
  metric_samples: MetricSamplesTable;
  monitor_states: MonitorStatesTable;
  error_groups: ErrorGroupsTable;
  release_marks: ReleaseMarksTable;
  verifications: VerificationsTable;
  watch_heads: WatchHeadsTable;
  watched_commits: WatchedCommitsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  app_backups: AppBackupsTable;
  api_tokens: ApiTokensTable;
  users: UsersTable;
  sessions: SessionsTable;
  login_attempts: LoginAttemptsTable;
  server_jobs: ServerJobsTable;
  server_replicas: ServerReplicasTable;
  agent_cursors: AgentCursorsTable;
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

/** A measured value: `subject` is '' for the host itself, a release version, or a target id (see src/monitor). */
export interface MetricSamplesTable {
  app: string;
  environment: string;
  host: string;
  metric: string;
  subject: string;
  /** 'raw' (as sampled), '1m' or '10m' (averages over the bucket starting at at_ms). */
  resolution: string;
  at_ms: number;
  value: number;
}

/** The state of an alert rule or an incident (probe, crash loop) between two monitoring rounds. */
export interface MonitorStatesTable {
  app: string;
  environment: string;
  key: string;
  state: string;
  since_ms: number;
  updated_at_ms: number;
  data_json: string | null;
}

/** Errors grouped per release: 5xx bursts, crash loops, log lines matching a pattern. */
export interface ErrorGroupsTable {
  app: string;
  environment: string;
  release: string;
  kind: string;
  fingerprint: string;
  count: number;
  first_at_ms: number;
  last_at_ms: number;
  sample_json: string | null;
}

/** Releases marked good per environment after a passed bake (migration 0004_pipeline). */
export interface ReleaseMarksTable {
  app: string;
  environment: string;
  version: string;
  deployment_id: string;
  marked_by: string;
  marked_at_ms: number;
}

/** One run of a verification suite (see store/verifications.ts); checks and performance are JSON. */
export interface VerificationsTable {
  id: Generated<number>;
  app: string;
  environment: string;
  release: string;
  deployment_id: string | null;
  at_ms: number;
  /** 1 or 0 (portable boolean). */
  passed: number;
  checks_json: string;
  performance_json: string | null;
}

export interface WatchHeadsTable {
  app: string;
  watch: string;
  commit_sha: string;
  updated_at_ms: number;
}

export interface WatchedCommitsTable {
  app: string;
  watch: string;
  commit_sha: string;
  status: string;
  version: string | null;
  at_ms: number;
}

export interface WebhookDeliveriesTable {
  app: string;
  delivery_id: string;
  received_at_ms: number;
  /** Hex SHA-256 of the signed body (migration 0012_webhook_body_digests; null in rows from before it). */
  body_sha256: string | null;
  /** The push's `repository.pushed_at`; null when it had none (or the row is from before 0012). */
  pushed_at_ms: number | null;
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

/** The server's API tokens (migration 0008_api_tokens): only a hash of each token is kept. */
export interface ApiTokensTable {
  id: string;
  subject: string;
  description: string;
  token_hash: string;
  grants_json: string;
  created_by: string;
  created_at_ms: number;
  expires_at_ms: number | null;
  last_used_at_ms: number | null;
  revoked_at_ms: number | null;
}

/** The dashboard's users (migration 0009_server_auth): a scrypt hash of each password, never the password. */
export interface UsersTable {
  name: string;
  password_hash: string;
  grants_json: string;
  created_by: string;
  created_at_ms: number;
  password_changed_at_ms: number;
}

/** Dashboard sessions (0009_server_auth), keyed by a SHA-256 of the session id. */
export interface SessionsTable {
  id_hash: string;
  user_name: string;
  created_at_ms: number;
  last_seen_at_ms: number;
}

/** Failed logins (0009_server_auth), for the rate limit shared by replicas. */
export interface LoginAttemptsTable {
  id: string;
  user_name: string;
  address: string;
  at_ms: number;
}

/** The server's work queue (migration 0010_server_jobs): one row per job, claimed by one replica at a time. */
export interface ServerJobsTable {
  seq: Generated<number>;
  id: string;
  app: string;
  kind: string;
  environment: string | null;
  payload_json: string;
  state: string;
  requested_by: string;
  created_at_ms: number;
  owner: string | null;
  started_at_ms: number | null;
  heartbeat_at_ms: number | null;
  finished_at_ms: number | null;
  deployment_id: string | null;
  release: string | null;
  error: string | null;
  takeovers: number;
}

/** The server's replicas (migration 0010_server_jobs): each heartbeats its row while it runs. */
export interface ServerReplicasTable {
  id: string;
  hostname: string;
  pid: number;
  started_at_ms: number;
  heartbeat_at_ms: number;
  stopped_at_ms: number | null;
}

/** How far each host's agent journal was copied into the ledger (migration 0011_agent_cursors). */
export interface AgentCursorsTable {
  app: string;
  host: string;
  seq: number;
}
