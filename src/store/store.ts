import type { Kysely } from 'kysely';
import { createApiTokenRepository, type ApiTokenRepository } from './api-tokens.js';
import { createBackupRepository, type BackupRepository } from './backups.js';
import { createDeploymentRepository, type DeploymentRepository } from './deployments.js';
import { createLedgerRepository, type LedgerRepository } from './ledger.js';
import { createLockRepository, type LockRepository } from './locks.js';
import { createMonitoringRepository, type MonitoringRepository } from './monitoring.js';
import { createReleaseRepository, type ReleaseRepository } from './releases.js';
import { createReleaseMarkRepository, type ReleaseMarkRepository } from './release-marks.js';
import type { StoreDatabase } from './schema.js';
import { createVerificationRepository, type VerificationRepository } from './verifications.js';
import { createTriggerRepository, type TriggerRepository } from './triggers.js';
import { createUserRepository, type UserRepository } from './users.js';
import { createSessionRepository, type SessionRepository } from './sessions.js';
import { createLoginAttemptRepository, type LoginAttemptRepository } from './login-attempts.js';
import { createServerJobRepository, type ServerJobRepository } from './server-jobs.js';

/** The control plane's store port: releases, deployments and their steps, the ledger, environment locks. */
export interface Store
  extends
    ReleaseRepository,
    DeploymentRepository,
    LedgerRepository,
    LockRepository,
    ReleaseMarkRepository,
    VerificationRepository,
    TriggerRepository,
    MonitoringRepository,
    BackupRepository,
    ApiTokenRepository,
    UserRepository,
    SessionRepository,
    LoginAttemptRepository,
    ServerJobRepository {
  close(): Promise<void>;
}

/** Builds the store over an open, migrated database (see open-store.ts). */
export function createStore(db: Kysely<StoreDatabase>): Store {
  return {
    ...createReleaseRepository(db),
    ...createDeploymentRepository(db),
    ...createLedgerRepository(db),
    ...createLockRepository(db),
    ...createMonitoringRepository(db),
    ...createReleaseMarkRepository(db),
    ...createVerificationRepository(db),
    ...createTriggerRepository(db),
    ...createBackupRepository(db),
    ...createApiTokenRepository(db),
    ...createUserRepository(db),
    ...createSessionRepository(db),
    ...createLoginAttemptRepository(db),
    ...createServerJobRepository(db),
    close: () => db.destroy(),
  };
}
