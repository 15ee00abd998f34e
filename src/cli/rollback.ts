import { rollbackEnvironment } from '../operations/rollback.js';
import { runWithProgress } from './run-with-progress.js';
import { probeAfterDeploy } from './probe-after-deploy.js';
import { withProject, type GlobalOptions } from './project.js';

/** `slipway rollback <env>` on this machine's project (declared with its options in shared-verbs.ts). */
export const rollbackHere =
  (globals: () => GlobalOptions) =>
  async (env: string, opts: { to?: string; reason?: string; down?: boolean }): Promise<void> => {
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
  };
