import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { InputError, SlipwayError } from '../core/errors.js';
import { SHARED_BACKUP_FORMAT } from '../operations/shared-backups.js';
import { loadFreeze } from '../migrate/freeze.js';
import { loadDatabaseLedgerStatus } from '../migrate/held-migrations.js';
import type { TableLoss } from '../migrate/diff-rows.js';
import {
  applyRestore,
  inspectRestore,
  loadDatabaseStatus,
  requireBackup,
} from '../operations/restore-backup.js';
import { environmentConfig } from '../config/environment-config.js';
import { withProject, type GlobalOptions } from './project.js';
import { bold, dim, green, red, yellow } from './progress-renderer.js';

/** `slipway db …`: backups, restore (with a loss report first), status, and unfreezing an environment. */
export function registerDb(program: Command, globals: () => GlobalOptions): void {
  const db = program.command('db').description("the app's database: backups, restore, migrations, freeze");

  db.command('backups')
    .description(
      "list the backups of an environment, newest first: the database's and the shared directories' (slipway data backup)",
    )
    .argument('<env>', 'environment name')
    .option('--json', 'print as JSON')
    .action(async (env: string, opts: { json?: boolean }) => {
      await withProject(globals(), async (project) => {
        const backups = await project.store.listBackups(project.config.app, env);
        if (opts.json) return void process.stdout.write(`${JSON.stringify(backups, null, 2)}\n`);
        if (backups.length === 0) process.stdout.write(`no backups of ${env} yet\n`);
        for (const b of backups)
          process.stdout.write(
            `${b.id}  ${dim(new Date(b.createdAtMs).toISOString())}  release ${b.release}  ${b.tables} ${b.format === SHARED_BACKUP_FORMAT ? 'files' : 'tables'}  ${b.sizeBytes} bytes  ${dim(b.path)}\n`,
          );
      });
    });

  db.command('status')
    .description('applied migrations, held ones and whether the environment is frozen')
    .argument('<env>', 'environment name')
    .option('--json', 'print as JSON')
    .action(async (env: string, opts: { json?: boolean }) => {
      await withProject(globals(), async (project) => {
        environmentConfig(project.config, env);
        const status = await loadDatabaseStatus(project, env);
        const ledger = await loadDatabaseLedgerStatus(project.store, project.config.app, env);
        const applied = new Set(status.applied.map((a) => a.name));
        const heldNames = ledger.held.filter((n) => !applied.has(n));
        const freeze = { frozen: ledger.frozen !== null, message: ledger.frozen };
        const out = {
          database: status.where,
          applied: status.applied.map(({ downSql, ...a }) => ({ ...a, hasDown: downSql !== null })),
          held: heldNames,
          frozen: freeze,
        };
        if (opts.json) return void process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        process.stdout.write(`${bold(env)} database ${status.where}\n`);
        if (freeze.frozen) process.stdout.write(red(`  FROZEN: ${freeze.message ?? ''}\n`));
        for (const a of out.applied)
          process.stdout.write(
            `  applied ${a.name} (${a.phase}${a.hasDown ? ', has down' : ''}) by ${a.release} ${dim(new Date(a.appliedAtMs).toISOString())}\n`,
          );
        for (const n of heldNames)
          process.stdout.write(yellow(`  held    ${n} (contract): slipway migrate ${env} --contract\n`));
      });
    });

  db.command('restore')
    .description(
      'restore a backup over the live database; first reports the rows that would be lost, per table',
    )
    .argument('<env>', 'environment name')
    .requiredOption('--backup <id>', 'backup to restore (see "slipway db backups")')
    .option('--yes', 'do not ask: restore even though rows written since the backup are lost')
    .option(
      '--no-maintenance',
      'do not put the environment in maintenance mode meanwhile (default: on before, off after)',
    )
    .action(async (env: string, opts: { backup: string; yes?: boolean; maintenance: boolean }) => {
      await withProject(globals(), async (project) => {
        const backup = await requireBackup(project, env, opts.backup);
        if (backup.format === SHARED_BACKUP_FORMAT) {
          throw new InputError(`backup ${backup.id} is of shared directories, not of the database`, {
            hint: `"slipway data restore ${env} --backup ${backup.id} --host <name>" restores it`,
          });
        }
        const report = await inspectRestore(project, env, backup);
        printLosses(report.where, backup.id, report.losses);
        let confirmed: TableLoss[] | null = null;
        if (!opts.yes) {
          if (!process.stdin.isTTY)
            throw new SlipwayError('not restored: confirm with --yes (no terminal to ask on)');
          const rl = createInterface({ input: process.stdin, output: process.stdout });
          const answer = await rl.question(`Type the environment name (${env}) to restore: `);
          rl.close();
          if (answer.trim() !== env) throw new SlipwayError('not restored: the confirmation did not match');
          confirmed = report.losses;
        }
        const losses = await applyRestore(project, env, backup, confirmed, {
          maintenance: opts.maintenance,
        });
        const lost = losses.reduce((n, t) => n + t.lost, 0);
        process.stdout.write(
          green(
            `✔ ${env}'s database restored from ${backup.id} (${lost} rows written since were discarded)\n`,
          ),
        );
      });
    });

  db.command('unfreeze')
    .description('allow deploys again after a freeze (once the database and the code agree again)')
    .argument('<env>', 'environment name')
    .requiredOption('--reason <text>', 'why it is safe now (kept in the ledger)')
    .action(async (env: string, opts: { reason: string }) => {
      await withProject(globals(), async (project) => {
        const freeze = await loadFreeze(project.store, project.config.app, env);
        if (!freeze.frozen) throw new SlipwayError(`${env} is not frozen`);
        await project.store.appendEvent({
          atMs: project.clock.nowMs(),
          actor: project.actor,
          app: project.config.app,
          environment: env,
          kind: 'environment.unfrozen',
          message: `${env} unfrozen: ${opts.reason}`,
          data: { reason: opts.reason },
        });
        process.stdout.write(green(`✔ ${env} is no longer frozen\n`));
      });
    });
}

function printLosses(where: string, backupId: string, losses: TableLoss[]): void {
  const lost = losses.reduce((n, t) => n + t.lost, 0);
  process.stdout.write(
    `Restoring ${backupId} over ${where} would lose ${lost} row${lost === 1 ? '' : 's'} written since the backup:\n`,
  );
  for (const t of losses)
    process.stdout.write(
      `  ${t.table}: ${t.lost} lost${t.restored ? `, ${t.restored} brought back` : ''}${t.dropped ? ' (table created since the backup: dropped)' : ''}\n`,
    );
}
