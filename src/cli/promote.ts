import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import { requestSignal, type DeploymentSignalKind } from '../executor/deployment-signals.js';
import { isLockStale } from '../executor/run-deployment.js';
import { withProject, type GlobalOptions } from './project.js';
import { green } from './progress-renderer.js';

/** `slipway promote <env>` and `slipway abort <env>`: signals to the deployment running in that environment. */
export function registerPromoteAndAbort(program: Command, globals: () => GlobalOptions): void {
  const signalCommand = (kind: DeploymentSignalKind, description: string): void => {
    program
      .command(kind)
      .description(description)
      .argument('<env>', 'environment name')
      .option('--reason <text>', 'why (kept in the ledger)')
      .action(async (env: string, opts: { reason?: string }) => {
        await withProject(globals(), async (project) => {
          const lock = await project.store.getLock(project.config.app, env);
          const deployment =
            lock && !isLockStale(lock) ? await project.store.getDeployment(lock.deploymentId) : undefined;
          if (!deployment || deployment.outcome !== null) {
            throw new SlipwayError(`no deployment is running in ${env}`, {
              hint: `"slipway status ${env}" shows what serves now`,
            });
          }
          await requestSignal(project.store, project.clock, {
            app: project.config.app,
            environment: env,
            deploymentId: deployment.id,
            release: deployment.releaseVersion,
            kind,
            actor: project.actor,
            ...(opts.reason ? { reason: opts.reason } : {}),
          });
          process.stdout.write(
            green(
              `✔ ${kind} of ${deployment.releaseVersion} in ${env} requested (deployment ${deployment.id})\n`,
            ),
          );
        });
      });
  };
  signalCommand(
    'promote',
    'end the current pause of a canary (a pause {} or an inconclusive analysis) and go on',
  );
  signalCommand('abort', 'abort the running canary: its weight goes to 0 at once, its targets stop');
}
