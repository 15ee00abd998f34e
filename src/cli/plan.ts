import { planDeployment } from '../operations/plan-deployment.js';
import { withProject, type GlobalOptions } from './project.js';
import { resolveReleaseVersion } from '../control-plane/resolve-release-version.js';
import { InputError } from '../core/errors.js';
import { environmentConfig } from '../config/environment-config.js';
import { collectPipelinePlan, printPipelinePlan } from './plan-pipeline.js';

/** `slipway plan [env]` on this machine's project (declared with its options in shared-verbs.ts). */
export const planHere =
  (globals: () => GlobalOptions) =>
  async (
    env: string | undefined,
    opts: { release?: string; json?: boolean; pipeline?: boolean },
  ): Promise<void> => {
    await withProject(globals(), async (project) => {
      // A name that is not there is bad input, said before anything else is looked at.
      if (env !== undefined) environmentConfig(project.config, env);
      const version = await resolveReleaseVersion(project, opts.release);
      if (opts.pipeline) {
        const entries = await collectPipelinePlan(project, version);
        if (opts.json) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        else printPipelinePlan(project.config.app, version, entries);
        return;
      }
      if (!env) throw new InputError('name an environment, or use --pipeline');
      const { plan, text } = await planDeployment(project, env, version);
      process.stdout.write(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : `${text}\n`);
    });
  };
