import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import type { ExecutionResult } from '../executor/execute-plan.js';
import {
  deployThroughGates as deployOperation,
  pipelineHooksOf,
  resumeThroughPipeline,
  type OperationHooks,
} from '../operations/deploy.js';
import type { Outcome, PipelineDeployRequest, PipelineRunHooks } from '../pipeline/run-pipeline.js';
import type { PipelineEntry } from '../triggers/sync-watched-branch.js';
import { probeAfterDeploy } from './probe-after-deploy.js';
import { withProject, type GlobalOptions, type Project } from './project.js';
import { dim, yellow } from './progress-renderer.js';
import { runWithProgress } from './run-with-progress.js';
import { printPreflight } from './check.js';
import { resolveReleaseVersion } from './releases.js';
import { parseAtOption } from './parse-at.js';

export function registerDeploy(program: Command, globals: () => GlobalOptions): void {
  program
    .command('deploy')
    .description('deploy a release to an environment (live progress; one deploy per environment at a time)')
    .argument('<env>', 'environment name')
    .option('-r, --release <version>', 'release to deploy (default: the newest release)')
    .option('--resume', 'continue the interrupted deployment of this environment')
    .option('--reason <text>', 'why (kept in the ledger; required with --override-freeze)')
    .option('--at <time>', 'do not start before this time (ISO, "YYYY-MM-DD HH:MM" in --timezone, or +10m)')
    .option('--timezone <zone>', 'time zone of a local --at time', 'UTC')
    .option('--override-freeze', 'deploy during a freeze (needs --reason and a role that may)')
    .action(async (env: string, opts: DeployOptions) => {
      await withProject(globals(), async (project) => {
        if (opts.resume) {
          await resumeThroughPipeline(project, env, cliHooks(project));
          return;
        }
        await deployThroughGates(project, {
          environment: env,
          version: await resolveReleaseVersion(project, opts.release),
          notBeforeMs: opts.at ? parseAtOption(opts.at, opts.timezone, project.clock.nowMs()) : null,
          overrideFreeze: opts.overrideFreeze ? { reason: opts.reason } : null,
          ...(opts.reason ? { reason: opts.reason } : {}),
        });
        await probeAfterDeploy(project, env);
      });
    });
}

interface DeployOptions {
  release?: string;
  resume?: boolean;
  reason?: string;
  at?: string;
  timezone: string;
  overrideFreeze?: boolean;
}

/** Deployments of the pipeline run with the live view; gate notes, failed preflights and refusals are printed. */
export function cliHooks(project: Project): OperationHooks {
  return {
    run: (verb, deployment, context) => runWithProgress(project, verb, deployment, context),
    onPreflight: (preflight) => {
      if (preflight.some((r) => r.rows.some((row) => row.status === 'fail'))) printPreflight(preflight);
    },
    onGates: (environment, gates) => {
      for (const g of gates) {
        if (g.status === 'waits' || g.status === 'overridden' || g.kind === 'previous-environment')
          process.stdout.write(dim(`gate ${g.kind} (${environment}): ${g.detail}\n`));
      }
    },
    onPromotionRefused: (environment, reasons) =>
      process.stdout.write(yellow(`not promoted to ${environment}: ${reasons.join('; ')}\n`)),
  };
}

/** `slipway deploy <env>` (src/operations/deploy.ts) with the CLI's live view; `watch` and `webhook` enter here. */
export function deployThroughGates(project: Project, request: PipelineDeployRequest): Promise<Outcome[]> {
  return deployOperation(project, request, cliHooks(project));
}

/** Where a release built by `watch` or `webhook` goes: its first environment, through the gates. */
export async function enterPipeline(project: Project, entry: PipelineEntry): Promise<ExecutionResult> {
  const [first] = await deployThroughGates(project, { ...entry, notBeforeMs: null, overrideFreeze: null });
  if (!first) throw new SlipwayError(`no deployment of ${entry.version} to ${entry.environment} ran`);
  return first.result;
}

export function pipelineHooks(project: Project): PipelineRunHooks {
  return pipelineHooksOf(project, cliHooks(project));
}
