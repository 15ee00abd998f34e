import type { Command } from 'commander';
import type { DeploymentSignalKind } from '../executor/deployment-signals.js';
import { findRunningDeployment, signalDeployment } from '../operations/signal-deployment.js';
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
          const deployment = await findRunningDeployment(project, env);
          await signalDeployment(project, deployment, kind, opts.reason);
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
