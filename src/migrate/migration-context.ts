import type { Clock } from '../core/clock.js';
import type { Secret } from '../core/secret.js';
import type { Host } from '../hosts/host.js';
import type { BackupRepository, LedgerRepository } from '../store/index.js';

/** What the backup and migrate steps need beyond the common step context (wired by run-deployment). */
export interface MigrationContext {
  store: BackupRepository & LedgerRepository;
  /** Backups live under `<stateDir>/backups/<environment>/`. */
  stateDir: string;
  actor: string;
  deploymentId: string;
  lockTimeoutMs: number;
}

/** The parts of the executor's step context the migration handlers use. */
export interface MigrationStepContext {
  hosts: ReadonlyMap<string, Host>;
  secrets: ReadonlyMap<string, Secret>;
  clock: Clock;
  migrations?: MigrationContext;
}
