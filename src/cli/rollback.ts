import type { Command } from 'commander';
import { rollbackEnvironment } from '../operations/rollback.js';
import { runWithProgress } from './run-with-progress.js';
import { probeAfterDeploy } from './probe-after-deploy.js';
import { withProject, type GlobalOptions } from './project.js';

export function registerRollback(program: Command, globals: () => GlobalOptions): void {
  program
    .command('rollback')
    .description(
      'go back to the previous (or named) release: a switch while it is warm, else a start from its artifact',
    )
    .argument('<env>', 'environment name')
    .option('--to <version>', 'release to go back to (default: the one that served before the current one)')
    .option('--reason <text>', 'why (kept in the ledger)')
    .option('--down', "also run the down migrations of what the older release doesn't have (backup first)")
    .action(async (env: string, opts: { to?: string; reason?: string; down?: boolean }) => {
      await withProject(globals(), async (project) => {
        await rollbackEnvironment(
          project,
          {
            environment: env,
            ...(opts.to ? { to: opts.to } : {}),
            ...(opts.reason ? { reason: opts.reason } : {}),
            ...(opts.down ? { down: true } : {}),
          },
          { run: (verb, deployment) => runWithProgress(project, verb, deployment) },
        );
        await probeAfterDeploy(project, env);
      });
    });
}
