import type { DeploymentSignalKind } from '../executor/deployment-signals.js';
import { findRunningDeployment, signalDeployment } from '../operations/signal-deployment.js';
import { withProject, type GlobalOptions } from './project.js';
import { green } from './progress-renderer.js';

/**
 * `slipway promote <env>` and `slipway abort <env>`: signals to the deployment running in that environment
 * (declared with their options in shared-verbs.ts).
 */
export const signalHere =
  (kind: DeploymentSignalKind) =>
  (globals: () => GlobalOptions) =>
  async (env: string, opts: { reason?: string }): Promise<void> => {
    await withProject(globals(), async (project) => {
      const deployment = await findRunningDeployment(project, env);
      await signalDeployment(project, deployment, kind, opts.reason);
      process.stdout.write(
        green(
          `✔ ${kind} of ${deployment.releaseVersion} in ${env} requested (deployment ${deployment.id})\n`,
        ),
      );
    });
  };
