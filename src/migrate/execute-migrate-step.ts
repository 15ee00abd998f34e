import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { redact } from '../core/secret.js';
import { observeHosts } from '../hosts/observe-hosts.js';
import type { AppDatabase } from './app-database.js';
import { requireMigrationContext } from './execute-backup-step.js';
import type { MigrationContext, MigrationStepContext } from './migration-context.js';
import type { MigrateStep } from './migration-steps.js';
import { revealDatabaseUrl, withAppDatabase } from './open-app-database.js';
import { readReleaseMigrations } from './read-release-migrations.js';

type Result = { detail: string; output: Record<string, unknown> };

/**
 * Runs the planned migrations under the database's migration lock. What another deploy applied while we
 * waited is skipped (it runs once); each migration is one transaction, so a failure leaves schema and data as
 * they were before that migration, and the deployment fails before traffic moves.
 */
export async function executeMigrateStep(step: MigrateStep, ctx: MigrationStepContext): Promise<Result> {
  const mc = requireMigrationContext(ctx);
  if (step.requireOnlyRelease) await refuseOlderTargets(step, ctx);
  if (step.held.length > 0) await recordHeld(step, ctx, mc);
  if (step.command) return runMigrationCommand(step, ctx, mc);
  if (step.up.length === 0 && step.down.length === 0)
    return {
      detail: `nothing to run; ${step.held.length} held`,
      output: { held: step.held.map((m) => m.name) },
    };
  const files = new Map((await readReleaseMigrations(step.artifact, step.dir)).map((f) => [f.name, f]));
  return withAppDatabase(step.database, ctx.secrets, mc.lockTimeoutMs, async (db) => {
    let waitedFor: string | null = null;
    const holder = `slipway ${mc.deploymentId} (${mc.actor})`;
    return db.withMigrationLock(
      holder,
      (other) => (waitedFor = other),
      async () => {
        const applied = new Map((await db.listApplied()).map((a) => [a.name, a]));
        const reverted: string[] = [];
        for (const d of step.down) {
          const record = applied.get(d.name);
          if (!record) continue;
          await db.revert(record);
          reverted.push(d.name);
          await event(
            ctx,
            mc,
            step,
            'migration.applied',
            `down migration of ${d.name} applied on ${db.where}`,
            {
              name: d.name,
              direction: 'down',
            },
          );
        }
        const ran: string[] = [];
        const skipped: string[] = [];
        for (const m of step.up) {
          if (applied.has(m.name)) {
            skipped.push(m.name);
            continue;
          }
          const file = files.get(m.name);
          if (!file || file.checksum !== m.checksum)
            throw new SlipwayError(
              `migration ${m.name} in release ${step.release} is not the one that was planned`,
            );
          await applyOne(db, ctx, mc, step, file, m.phase);
          ran.push(m.name);
        }
        const parts = [
          ran.length ? `applied ${ran.join(', ')}` : '',
          reverted.length ? `reverted ${reverted.join(', ')}` : '',
          skipped.length ? `already applied (by another deploy): ${skipped.join(', ')}` : '',
          waitedFor ? `waited for the migration lock of ${String(waitedFor)}` : '',
        ].filter(Boolean);
        return {
          detail: parts.join('; ') || 'nothing to run',
          output: { applied: ran, reverted, skipped, waitedFor, held: step.held.map((m) => m.name) },
        };
      },
    );
  });
}

async function applyOne(
  db: AppDatabase,
  ctx: MigrationStepContext,
  mc: MigrationContext,
  step: MigrateStep,
  file: { name: string; upSql: string; downSql: string | null; checksum: string },
  phase: 'expand' | 'contract',
): Promise<void> {
  try {
    await db.apply({ ...file, phase, release: step.release }, ctx.clock.nowMs());
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await event(ctx, mc, step, 'migration.failed', `${message} (on ${db.where})`, { name: file.name, phase });
    throw err;
  }
  await event(ctx, mc, step, 'migration.applied', `${phase} migration ${file.name} applied on ${db.where}`, {
    name: file.name,
    phase,
    checksum: file.checksum,
    direction: 'up',
  });
}

/** Contract migrations run only once every host serves this release alone (no older target warm or running). */
async function refuseOlderTargets(step: MigrateStep, ctx: MigrationStepContext): Promise<void> {
  const hosts = [...ctx.hosts.values()].filter((h) => step.hosts.includes(h.name));
  const route = step.route ?? { key: step.app, targetPrefix: step.app };
  const observed = await observeHosts(hosts, step.app, { route });
  const older = observed.flatMap((o) =>
    o.targets
      .filter((t) => t.release !== step.release && t.state !== 'stopped')
      .map(
        (t) =>
          `${t.release} on ${o.host} (${t.targetId}${t.stopAtMs ? `, warm until ${new Date(t.stopAtMs).toISOString()}` : ''})`,
      ),
  );
  if (older.length > 0)
    throw new SlipwayError(
      `contract migrations wait until no older release runs; still running: ${older.join(', ')}`,
      {
        hint: 'try again once the old targets were retired (keepWarm), or stop them',
      },
    );
}

async function recordHeld(step: MigrateStep, ctx: MigrationStepContext, mc: MigrationContext): Promise<void> {
  const names = step.held.map((m) => m.name);
  await event(
    ctx,
    mc,
    step,
    'migration.held',
    `contract migration${names.length > 1 ? 's' : ''} ${names.join(', ')} held back until no older release runs (then: slipway migrate ${step.environment} --contract)`,
    { names, reasons: step.held.map((m) => ({ name: m.name, statements: m.statements })) },
  );
}

/** The app's own tool, run in an unpacked copy of the release with its env, secrets and DATABASE_URL. */
async function runMigrationCommand(
  step: MigrateStep,
  ctx: MigrationStepContext,
  mc: MigrationContext,
): Promise<Result> {
  const command = step.command;
  if (!command) throw new SlipwayError('no migration command');
  const dir = await mkdtemp(join(tmpdir(), 'slipway-migrate-'));
  const url = revealDatabaseUrl(step.database, ctx.secrets);
  const secretValues = [url, ...[...ctx.secrets.values()].map((s) => s.reveal())];
  try {
    const { x: extractTar } = await import('tar');
    await extractTar({ file: step.artifact, cwd: dir, strict: true });
    const secretEnv = Object.fromEntries(
      command.secretNames.flatMap((n) => {
        const v = ctx.secrets.get(n)?.reveal();
        return v === undefined ? [] : [[n, v]];
      }),
    );
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? dir,
      ...command.env,
      ...secretEnv,
      DATABASE_URL: url,
      SLIPWAY_RELEASE: step.release,
    };
    const { code, tail } = await runShell(command.run, dir, env);
    if (code !== 0) {
      const text = redact(tail, secretValues);
      await event(ctx, mc, step, 'migration.failed', `migration command failed (exit ${code}): ${text}`, {
        command: command.run,
      });
      throw new SlipwayError(
        `the migration command failed (exit ${code ?? 'signal'}): ${command.run}\n${text}`,
      );
    }
    await event(ctx, mc, step, 'migration.applied', `migration command "${command.run}" succeeded`, {
      command: command.run,
    });
    return { detail: 'migration command succeeded', output: { command: command.run } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runShell(
  command: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; tail: string }> {
  return new Promise((resolveRun, reject) => {
    const lines: string[] = [];
    const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (d: Buffer): void => {
      lines.push(...d.toString('utf8').split('\n').filter(Boolean));
      lines.splice(0, Math.max(0, lines.length - 20));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, tail: lines.join('\n') }));
  });
}

async function event(
  ctx: MigrationStepContext,
  mc: MigrationContext,
  step: MigrateStep,
  kind: string,
  message: string,
  data: Record<string, unknown>,
): Promise<void> {
  await mc.store.appendEvent({
    atMs: ctx.clock.nowMs(),
    actor: mc.actor,
    app: step.app,
    environment: step.environment,
    kind,
    deploymentId: mc.deploymentId,
    release: step.release,
    message,
    data,
  });
}
