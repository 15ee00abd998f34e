import { unlockEnvironment } from '../operations/unlock-environment.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim, green } from './progress-renderer.js';

/**
 * `slipway unlock <env> --reason …`: removes a deploy lock whose holder died on another machine (declared with its
 * options in shared-verbs.ts).
 */
export const unlockHere =
  (globals: () => GlobalOptions) =>
  async (env: string, opts: { reason: string }): Promise<void> => {
    await withProject(globals(), async (project) => {
      const { removed, unfinished } = await unlockEnvironment(project, env, opts.reason);
      process.stdout.write(
        green(
          `✔ removed the lock of ${env} held by ${removed.holder} (pid ${removed.pid} on ${removed.hostname}) since ${new Date(removed.acquiredAtMs).toISOString()}\n`,
        ),
      );
      if (unfinished)
        process.stdout.write(
          dim(
            `  its deployment ${unfinished.id} (${unfinished.kind} of ${unfinished.releaseVersion}) did not finish: "slipway deploy ${env} --resume" continues it, a new deploy abandons it\n`,
          ),
        );
    });
  };
