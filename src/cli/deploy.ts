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
import type { Project } from '../control-plane/open-project.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim, yellow } from './progress-renderer.js';
import { runWithProgress } from './run-with-progress.js';
import { printPreflight } from './check.js';
import { resolveReleaseVersion } from '../control-plane/resolve-release-version.js';
import { parseAtOption } from './parse-at.js';

/** `slipway deploy <env>` on this machine's project (declared with its options in shared-verbs.ts). */
export const deployHere =
  (globals: () => GlobalOptions) =>
  async (env: string, opts: DeployOptions): Promise<void> => {
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
  };

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
