import type { Command } from 'commander';
import { InputError, UnknownNameError } from '../core/errors.js';
import { environmentConfig } from '../config/environment-config.js';
import { derivePipelinePosition } from '../pipeline/pipeline-position.js';
import { runPipelineDeploy } from '../pipeline/run-pipeline.js';
import { syncAgentEvents } from '../control-plane/agent-events.js';
import { pipelineHooks } from './deploy.js';
import { parseAtOption } from './parse-at.js';
import { createPipelinePorts } from '../control-plane/pipeline-ports.js';
import { withProject, type GlobalOptions } from './project.js';

/** `slipway promote-release <version> <env>`: the same release, unchanged, into the next environment. */
export function registerPromoteRelease(program: Command, globals: () => GlobalOptions): void {
  program
    .command('promote-release')
    .description(
      'deploy a release that passed the previous environment of the pipeline to the next one, unchanged (same artifact)',
    )
    .argument('<version>', 'the release')
    .argument('<env>', 'the environment to promote it to')
    .option('--reason <text>', 'why (kept in the ledger; required with --override-freeze)')
    .option('--override-freeze', 'deploy during a freeze (needs --reason and a role that may)')
    .option('--at <time>', 'do not start before this time (ISO, "YYYY-MM-DD HH:MM" in --timezone, or +10m)')
    .option('--timezone <zone>', 'time zone of a local --at time', 'UTC')
    .action(
      async (
        version: string,
        env: string,
        opts: { reason?: string; overrideFreeze?: boolean; at?: string; timezone: string },
      ) => {
        await withProject(globals(), async (project) => {
          environmentConfig(project.config, env);
          const position = derivePipelinePosition(project.config, env);
          if (position.index === null || position.previous === null) {
            throw new InputError(
              position.index === null
                ? `${env} is not part of the pipeline in slipway.yml`
                : `${env} is the first environment of the pipeline; nothing promotes into it`,
              { hint: `deploy to it with: slipway deploy ${env} --release ${version}` },
            );
          }
          if (!(await project.store.getRelease(project.config.app, version))) {
            throw new UnknownNameError(`release ${version} of ${project.config.app} does not exist`, {
              hint: '"slipway releases" lists the releases',
            });
          }
          await syncAgentEvents(project);
          await runPipelineDeploy(
            project,
            createPipelinePorts(project),
            {
              environment: env,
              version,
              notBeforeMs: opts.at ? parseAtOption(opts.at, opts.timezone, project.clock.nowMs()) : null,
              overrideFreeze: opts.overrideFreeze ? { reason: opts.reason } : null,
              promotedFrom: position.previous,
              ...(opts.reason ? { reason: opts.reason } : {}),
            },
            pipelineHooks(project),
          );
        });
      },
    );
}
