import type { Command } from 'commander';
import { describePlan } from '../plan/describe-plan.js';
import { preparePlan } from '../executor/run-deployment.js';
import { withProject, type GlobalOptions } from './project.js';
import { resolveReleaseVersion } from './releases.js';

export function registerPlan(program: Command, globals: () => GlobalOptions): void {
  program
    .command('plan')
    .description(
      'print the exact plan of a deployment (stages, steps, hosts, health checks, rollback) without running it',
    )
    .argument('<env>', 'environment name')
    .option('-r, --release <version>', 'release to plan for (default: the newest release)')
    .option('--json', 'print the plan as JSON')
    .action(async (env: string, opts: { release?: string; json?: boolean }) => {
      await withProject(globals(), async (project) => {
        const version = await resolveReleaseVersion(project, opts.release);
        const plan = await preparePlan(project, { environment: env, kind: 'deploy', version });
        process.stdout.write(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : `${describePlan(plan)}\n`);
      });
    });
}
