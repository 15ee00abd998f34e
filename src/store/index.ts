/** The store's public surface: open a store, then use the `Store` port. */
export type { Store } from './store.js';
export { createStore } from './store.js';
export {
  describeStoreLocation,
  openMemoryStore,
  openPostgresStore,
  openSqliteStore,
  openStore,
  SQLITE_BUSY_TIMEOUT_MS,
  type StoreLocation,
} from './open-store.js';
export { parseStoreUrl } from './parse-store-url.js';
export { redactStoreUrl } from './parse-store-url.js';
export type { CreateReleaseResult, NewRelease, ReleaseRecord, ReleaseRepository } from './releases.js';
export type {
  DeploymentFinish,
  DeploymentKind,
  DeploymentOutcome,
  DeploymentRecord,
  DeploymentRepository,
  ListDeploymentsQuery,
  NewDeployment,
  StepPatch,
  StepRecord,
  StepStatus,
} from './deployments.js';
export type { LedgerEventRecord, LedgerRepository, ListEventsQuery, NewLedgerEvent } from './ledger.js';
export type { IsLockStale, LockAcquisition, LockRecord, LockRepository, LockRequest } from './locks.js';
export type { ReleaseMarkRecord, ReleaseMarkRepository } from './release-marks.js';
export type { StoreDatabase } from './schema.js';
export type {
  ErrorGroupRecord,
  ListSamplesQuery,
  MetricSampleRecord,
  MonitoringRepository,
  MonitorStateRecord,
  SampleResolution,
} from './monitoring.js';
export type { NewVerification, VerificationRecord, VerificationRepository } from './verifications.js';
export type {
  TriggerRepository,
  WatchedCommitRecord,
  WebhookDelivery,
  WebhookDeliveryClaim,
} from './triggers.js';
export type { BackupRecord, BackupRepository } from './backups.js';
export type { ApiTokenRecord, ApiTokenRepository } from './api-tokens.js';
export type { UserRecord, UserRepository } from './users.js';
export type { SessionRecord, SessionRepository } from './sessions.js';
export type { LoginAttemptRepository } from './login-attempts.js';
export type {
  NewServerJob,
  ReplicaRecord,
  ServerJobFinish,
  ServerJobRepository,
  ListServerJobsQuery,
} from './server-jobs.js';
export type { AgentCursorRepository } from './agent-cursors.js';
