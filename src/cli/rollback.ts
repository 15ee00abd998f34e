import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import { hostsOf, runDeployment } from '../executor/run-deployment.js';
import { observeHosts } from '../executor/observe-hosts.js';
import { chooseRollbackRelease } from '../plan/choose-rollback.js';
import { hostsToSync, syncAgentEvents } from './agent-events.js';
import { runWithProgress } from './deploy.js';
import { probeAfterDeploy } from './monitor.js';
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
        // What runs where decides the release to go back to; the event sync runs beside it (same bridges).
        const [, observed] = await Promise.all([
          syncAgentEvents(project, hostsToSync(project, env)),
          observeHosts(hostsOf(project, env), project.config.app),
        ]);
        const current = observed.find((o) => o.active)?.active?.release ?? null;
        const switches = await project.store.listEvents({
          app: project.config.app,
          environment: env,
          kinds: ['traffic.switched'],
          limit: 200,
        });
        const to =
          opts.to ??
          chooseRollbackRelease(
            switches.flatMap((e) => (e.release ? [e.release] : [])),
            current,
          );
        if (!to)
          throw new SlipwayError(
            `there is no earlier release of ${project.config.app} in ${env} to roll back to`,
          );
        if (to === current)
          throw new SlipwayError(`${to} already serves ${env}`, { hint: 'name another release with --to' });
        await runWithProgress(project, 'rollback', (o) =>
          runDeployment(
            project,
            {
              environment: env,
              kind: 'rollback',
              version: to,
              ...(opts.reason ? { reason: opts.reason } : {}),
              ...(opts.down ? { runDownMigrations: true } : {}),
            },
            o,
          ),
        );
        await probeAfterDeploy(project, env);
      });
    });
}
