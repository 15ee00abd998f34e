import { access } from 'node:fs/promises';
import { NotFoundError, SlipwayError, UnknownNameError } from '../core/errors.js';
import { deriveDeploymentId } from '../core/ids.js';
import { DEFAULTS } from '../config/defaults.js';
import { environmentConfig } from '../config/environment-config.js';
import { withDeployLock } from '../executor/deploy-lock.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { LockOptions } from '../executor/deploy-lock.js';
import type { BackupRecord } from '../store/index.js';
import type { AppDatabase } from '../migrate/app-database.js';
import { measureRestoreLoss, type TableLoss } from '../migrate/diff-rows.js';
import { deriveDatabaseRef, withAppDatabase } from '../migrate/open-app-database.js';
import { withRestoreMaintenance } from './restore-maintenance.js';

async function withEnvironmentDatabase<T>(
  cp: ControlPlane,
  environment: string,
  fn: (db: AppDatabase) => Promise<T>,
): Promise<T> {
  const config = environmentConfig(cp.config, environment).database;
  if (!config) throw new NotFoundError(`environment ${environment} has no database in slipway.yml`);
  const secrets = await cp.loadSecrets(environment, config.urlSecret ? [config.urlSecret] : []);
  const ref = deriveDatabaseRef(config, cp.projectDir ?? process.cwd(), secrets);
  return withAppDatabase(ref, secrets, DEFAULTS.database.lockTimeoutMs, fn);
}

export async function requireBackup(
  cp: ControlPlane,
  environment: string,
  id: string,
): Promise<BackupRecord> {
  const backup = await cp.store.getBackup(cp.config.app, id);
  if (!backup || backup.environment !== environment)
    throw new UnknownNameError(`no backup ${id} of ${environment}`, {
      hint: `"slipway db backups ${environment}" lists them`,
    });
  await access(backup.path).catch(() => {
    throw new NotFoundError(`backup file ${backup.path} is missing`);
  });
  return backup;
}

/**
 * What restoring the backup would lose, per table: the backup is restored into a scratch database and its
 * rows compared with the live ones. Nothing is changed.
 */
export async function inspectRestore(
  cp: ControlPlane,
  environment: string,
  backup: BackupRecord,
): Promise<{ where: string; losses: TableLoss[] }> {
  return withEnvironmentDatabase(cp, environment, async (db) => ({
    where: db.where,
    losses: await measureRestoreLoss(db, backup.path),
  }));
}

/**
 * Restores the backup over the live database, holding the environment's lock (no deploy meanwhile) and the
 * database's migration lock. The losses are measured again under the locks and must match what was confirmed.
 */
export async function applyRestore(
  cp: ControlPlane,
  environment: string,
  backup: BackupRecord,
  /** The report a person confirmed on a terminal (must still hold), or null for --yes. */
  confirmed: TableLoss[] | null,
  /** `maintenance: false`: users are not held back meanwhile (default: maintenance mode around it). */
  options: Pick<LockOptions, 'onLockTakeover'> & { maintenance?: boolean } = {},
): Promise<TableLoss[]> {
  const lockId = deriveDeploymentId(cp.clock.nowMs(), cp.randomSuffix());
  return withDeployLock(cp, environment, lockId, options, async () => {
    const held = <T>(fn: () => Promise<T>): Promise<T> =>
      options.maintenance === false
        ? fn()
        : withRestoreMaintenance(cp, environment, `restore of backup ${backup.id}`, fn);
    // Users are held back from the first look at the live data to the ledger's record of the restore.
    return held(async () => {
      const losses = await withEnvironmentDatabase(cp, environment, (db) =>
        db.withMigrationLock(
          `slipway restore (${cp.actor})`,
          () => undefined,
          async () => {
            const now = await measureRestoreLoss(db, backup.path);
            if (confirmed !== null && JSON.stringify(now) !== JSON.stringify(confirmed))
              throw new SlipwayError(
                'the database changed since the loss report was confirmed; nothing was restored',
                {
                  hint: 'run the restore again to see the current report',
                },
              );
            await db.restore(backup.path);
            return now;
          },
        ),
      );
      const lost = losses.reduce((n, t) => n + t.lost, 0);
      await cp.store.appendEvent({
        atMs: cp.clock.nowMs(),
        actor: cp.actor,
        app: cp.config.app,
        environment,
        kind: 'backup.restored',
        release: backup.release,
        message: `backup ${backup.id} restored over ${environment}'s database; ${lost} row${lost === 1 ? '' : 's'} written since it were discarded`,
        data: { backup: backup.id, losses },
      });
      return losses;
    });
  });
}

/** Applied migrations and the database's printable location, for `slipway db status`. */
export function loadDatabaseStatus(cp: ControlPlane, environment: string) {
  return withEnvironmentDatabase(cp, environment, async (db) => ({
    where: db.where,
    applied: await db.listApplied(),
  }));
}
