import type { Command } from 'commander';
import { formatDurationMs } from '../core/duration.js';
import { SlipwayError } from '../core/errors.js';
import type { ExecutionResult } from '../executor/execute-plan.js';
import type { runDeployment } from '../executor/run-deployment.js';
import {
  deployThroughGates as deployOperation,
  pipelineHooksOf,
  resumeThroughPipeline,
  type DeploymentContext,
  type OperationHooks,
} from '../operations/deploy.js';
import { describeNowServing, type ServingHost } from './describe-now-serving.js';
import {
  describeAlreadyServing,
  describeDeploymentSubject,
  describePlanHeading,
  describePlanStrategy,
} from '../plan/describe-plan.js';
import type { Plan } from '../plan/steps.js';
import type { Outcome, PipelineDeployRequest, PipelineRunHooks } from '../pipeline/run-pipeline.js';
import type { PipelineEntry } from '../triggers/sync-watched-branch.js';
import { probeAfterDeploy } from './monitor.js';
import { withProject, type GlobalOptions, type Project } from './project.js';
import { bold, createProgressRenderer, dim, green, red, yellow } from './progress-renderer.js';
import { printPreflight } from './check.js';
import { resolveReleaseVersion } from './releases.js';
import { parseAtOption } from './parse-at.js';
import { deriveEnvironmentUrl } from '../verify/derive-verify-input.js';

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

/** `, now serving …` for the heading; what the routers serve when they were asked (a resume). */
function nowServing(previous: string | null, serving: readonly ServingHost[] | undefined): string {
  const text = describeNowServing(previous, serving);
  return text ? `, now serving ${text}` : '';
}

type Runner = (
  options: Parameters<typeof runDeployment>[2],
) => Promise<{ plan: Plan; result: ExecutionResult }>;

/** Runs a deployment with a live view; Ctrl-C (or SIGTERM, SIGHUP) stops before the next step and leaves it resumable. */
export async function runWithProgress(
  project: Project,
  verb: string,
  run: Runner,
  context?: DeploymentContext,
): Promise<{ plan: Plan; result: ExecutionResult }> {
  const serving = await context?.observeServing?.();
  const aborter = new AbortController();
  const onSigint = (): void => {
    if (aborter.signal.aborted) process.exit(130);
    process.stderr.write(
      yellow(
        '\ninterrupting: a wait (approval, window, pause, bake) stops now, other steps finish first (Ctrl-C again to quit at once)…\n',
      ),
    );
    aborter.abort();
  };
  // A cancelled CI job sends SIGTERM, a closed terminal SIGHUP: both stop as Ctrl-C does, leaving it resumable.
  for (const signal of STOP_SIGNALS) process.on(signal, onSigint);
  const started = Date.now();
  try {
    const outcome = await run({
      reporter: createProgressRenderer(process.stdout),
      signal: aborter.signal,
      onPlan: (plan) => {
        process.stdout.write(
          `${bold(describePlanHeading(plan, verb === 'resume' ? 'resuming' : 'running'))} ${dim(`(${describePlanStrategy(plan)}, deployment ${plan.deploymentId}${nowServing(plan.previous?.release ?? null, serving)})`)}\n`,
        );
        for (const line of describeAlreadyServing(plan)) process.stdout.write(`  ${line}\n`);
        if (plan.stages.some((s) => s.steps.some((step) => step.kind === 'await-approval'))) {
          process.stdout.write(
            `  waits for approval first: slipway approve ${plan.deploymentId} (or reject it with --comment)\n`,
          );
        }
      },
      onLockTakeover: (lock) =>
        process.stderr.write(
          yellow(
            `note: took over the lock of ${lock.holder} (pid ${lock.pid} is gone; deployment ${lock.deploymentId})\n`,
          ),
        ),
    });
    reportOutcome(project, outcome.plan, outcome.result, Date.now() - started);
    return outcome;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSigint);
  }
}

/** The signals that stop a deployment before its next step (a second one quits at once). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function reportOutcome(project: Project, plan: Plan, result: ExecutionResult, durationMs: number): void {
  const env = project.config.environments[plan.environment];
  // Where users reach it: the edge when there is one (the hosts' routers sit behind it), else the first host.
  const where = env ? `${deriveEnvironmentUrl(env)}/` : '';
  const took = formatDurationMs(durationMs);
  switch (result.outcome) {
    case 'succeeded':
      process.stdout.write(
        green(`✔ ${plan.release.version} is live in ${plan.environment} at ${where} (${took})\n`),
      );
      return;
    case 'interrupted':
      process.stdout.write(
        yellow(
          `■ deployment ${plan.deploymentId} interrupted; continue it with: slipway deploy ${plan.environment} --resume\n`,
        ),
      );
      process.exitCode = 130;
      return;
    case 'rolled-back':
    case 'failed':
    case 'aborted': {
      const served = plan.previous ? `${plan.previous.release} still serves` : 'nothing was serving before';
      process.stderr.write(
        red(
          `✖ ${describeDeploymentSubject(plan.kind, plan.release.version, plan.environment)} failed (${took}); ${result.outcome === 'rolled-back' ? served : 'see slipway status'}\n`,
        ),
      );
      throw new SlipwayError(result.error ?? 'deployment failed');
    }
  }
}
