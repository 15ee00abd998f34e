import type { Kysely, Selectable } from 'kysely';
import type { AppBackupsTable, StoreDatabase } from './schema.js';
import { byteOrder } from './text-order.js';

/** A verified backup of an app's database, taken before a migration and kept with the release. */
export interface BackupRecord {
  id: string;
  app: string;
  environment: string;
  release: string;
  deploymentId: string | null;
  /** `pg_dump-custom` or `sqlite`. */
  format: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  /** How many tables the verification found in it. */
  tables: number;
  createdAtMs: number;
}

export interface BackupRepository {
  recordBackup(backup: BackupRecord): Promise<void>;
  getBackup(app: string, id: string): Promise<BackupRecord | undefined>;
  /** Newest first. */
  listBackups(app: string, environment: string): Promise<BackupRecord[]>;
  deleteBackupRecord(app: string, id: string): Promise<void>;
}

export function createBackupRepository(db: Kysely<StoreDatabase>): BackupRepository {
  return {
    async recordBackup(b) {
      await db
        .insertInto('app_backups')
        .values({
          id: b.id,
          app: b.app,
          environment: b.environment,
          release: b.release,
          deployment_id: b.deploymentId,
          format: b.format,
          path: b.path,
          size_bytes: b.sizeBytes,
          sha256: b.sha256,
          tables: b.tables,
          created_at_ms: b.createdAtMs,
        })
        .execute();
    },
    async getBackup(app, id) {
      const row = await db
        .selectFrom('app_backups')
        .selectAll()
        .where('app', '=', app)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toBackupRecord(row);
    },
    async listBackups(app, environment) {
      const rows = await db
        .selectFrom('app_backups')
        .selectAll()
        .where('app', '=', app)
        .where('environment', '=', environment)
        .orderBy('created_at_ms', 'desc')
        .orderBy(byteOrder(db, 'id'), 'desc')
        .execute();
      return rows.map(toBackupRecord);
    },
    async deleteBackupRecord(app, id) {
      await db.deleteFrom('app_backups').where('app', '=', app).where('id', '=', id).execute();
    },
  };
}

function toBackupRecord(row: Selectable<AppBackupsTable>): BackupRecord {
  return {
    id: row.id,
    app: row.app,
    environment: row.environment,
    release: row.release,
    deploymentId: row.deployment_id,
    format: row.format,
    path: row.path,
    sizeBytes: Number(row.size_bytes),
    sha256: row.sha256,
    tables: Number(row.tables),
    createdAtMs: Number(row.created_at_ms),
  };
}
