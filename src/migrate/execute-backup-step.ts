import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { sanitize } from '../core/ids.js';
import type { BackupRecord } from '../store/index.js';
import type { AppDatabase } from './app-database.js';
import type { MigrationContext, MigrationStepContext } from './migration-context.js';
import type { BackupDatabaseStep } from './migration-steps.js';
import { withAppDatabase } from './open-app-database.js';

export function requireMigrationContext(ctx: MigrationStepContext): MigrationContext {
  if (!ctx.migrations)
    throw new SlipwayError('database steps need the migration context (a bug in the wiring)');
  return ctx.migrations;
}

/** Takes the backup, proves it is usable, records it with the release, and prunes beyond `retain`. */
export async function executeBackupStep(
  step: BackupDatabaseStep,
  ctx: MigrationStepContext,
): Promise<{ detail: string; output: Record<string, unknown> }> {
  const mc = requireMigrationContext(ctx);
  const id = `${sanitize(step.release)}-${mc.deploymentId}`;
  const existing = await mc.store.getBackup(step.app, id);
  if (existing) return { detail: `already backed up (${existing.path})`, output: { backup: existing.id } };
  const dir = join(mc.stateDir, 'backups', sanitize(step.environment));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const format = step.database.kind === 'postgres' ? 'pg_dump-custom' : 'sqlite';
  const path = join(dir, `${id}.${step.database.kind === 'postgres' ? 'dump' : 'sqlite'}`);
  const tmp = `${path}.tmp`;
  const record = await withAppDatabase(step.database, ctx.secrets, mc.lockTimeoutMs, async (db) => {
    await rm(tmp, { force: true });
    await db.backup(tmp);
    const verified = await verify(db, tmp);
    await rename(tmp, path);
    const backup: BackupRecord = {
      id,
      app: step.app,
      environment: step.environment,
      release: step.release,
      deploymentId: mc.deploymentId,
      format,
      path,
      sizeBytes: (await stat(path)).size,
      sha256: await sha256File(path),
      tables: verified.tables,
      createdAtMs: ctx.clock.nowMs(),
    };
    return backup;
  });
  await mc.store.recordBackup(record);
  await mc.store.appendEvent({
    atMs: ctx.clock.nowMs(),
    actor: mc.actor,
    app: step.app,
    environment: step.environment,
    kind: 'backup.created',
    deploymentId: mc.deploymentId,
    release: step.release,
    message: `backup ${id} of ${step.database.where} created and verified (${record.tables} tables, ${record.sizeBytes} bytes)`,
    data: { id, path, format, sizeBytes: record.sizeBytes, sha256: record.sha256, tables: record.tables },
  });
  const pruned = await pruneBackups(mc, step);
  return {
    detail: `backup ${id}: ${record.tables} tables, ${record.sizeBytes} bytes, verified${pruned.length ? `; removed ${pruned.length} old` : ''}`,
    output: { backup: id, path, tables: record.tables, pruned },
  };
}

async function verify(db: AppDatabase, file: string): Promise<{ tables: number }> {
  try {
    return await db.verifyBackup(file);
  } catch (err) {
    await rm(file, { force: true });
    throw new SlipwayError(
      `the backup could not be verified, so no migration runs: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

async function pruneBackups(mc: MigrationContext, step: BackupDatabaseStep): Promise<string[]> {
  const all = await mc.store.listBackups(step.app, step.environment);
  const old = all.slice(step.retain);
  for (const b of old) {
    await rm(b.path, { force: true });
    await mc.store.deleteBackupRecord(step.app, b.id);
  }
  return old.map((b) => b.id);
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
