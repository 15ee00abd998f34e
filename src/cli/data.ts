import type { Command } from 'commander';
import { backupSharedDirs, restoreSharedDirs } from '../operations/shared-backups.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim, green } from './progress-renderer.js';

/** `slipway data backup|restore`: the hosts' shared directories (src/operations/shared-backups.ts). */
export function registerData(program: Command, globals: () => GlobalOptions): void {
  const data = program
    .command('data')
    .description('data that outlives releases on the hosts (shared directories): backups and restore');

  data
    .command('backup')
    .description("back up each host's shared directories to this machine; listed by slipway db backups")
    .argument('<env>', 'environment name')
    .option('--host <name>', 'only this host')
    .action(async (env: string, opts: { host?: string }) => {
      await withProject(globals(), async (project) => {
        const records = await backupSharedDirs(project, env, opts.host ? { host: opts.host } : {});
        for (const r of records) {
          process.stdout.write(
            `${green('✔')} ${r.id}  ${r.tables} files  ${r.sizeBytes} bytes  ${dim(r.path)}\n`,
          );
        }
      });
    });

  data
    .command('restore')
    .description(
      'make a backup the shared directories of a host (also a fresh one); what was there is kept beside them',
    )
    .argument('<env>', 'environment name')
    .requiredOption('--backup <id>', 'the backup (see "slipway db backups")')
    .requiredOption('--host <name>', 'the host to restore onto')
    .action(async (env: string, opts: { backup: string; host: string }) => {
      await withProject(globals(), async (project) => {
        const result = await restoreSharedDirs(project, env, { backupId: opts.backup, host: opts.host });
        process.stdout.write(
          `${green('✔')} ${opts.host}'s shared directories restored from ${opts.backup} (${result.files} files)\n`,
        );
        if (result.keptAt) process.stdout.write(dim(`  what was there is kept at ${result.keptAt}\n`));
      });
    });
}
