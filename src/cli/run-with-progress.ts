import { formatDurationMs } from '../core/duration.js';
import { SlipwayError } from '../core/errors.js';
import type { ExecutionResult } from '../executor/execute-plan.js';
import type { runDeployment } from '../executor/run-deployment.js';
import type { DeploymentContext } from '../operations/deploy.js';
import {
  describeAlreadyServing,
  describeRotation,
  describeDeploymentSubject,
  describePlanHeading,
  describePlanStrategy,
} from '../plan/describe-plan.js';
import type { Plan } from '../plan/steps.js';
import { deriveEnvironmentUrl } from '../verify/derive-verify-input.js';
import type { ServingHost } from '../operations/deploy.js';
import { describeNowServing } from './describe-now-serving.js';
import type { Project } from '../control-plane/open-project.js';
import { bold, createProgressRenderer, dim, green, red, yellow } from './progress-renderer.js';

// The live view of one deployment (deploy, rollback, resume, the demo): its heading, its steps as they run, the
// outcome, and Ctrl-C/SIGTERM/SIGHUP turned into a stop before the next step.

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
        for (const line of [...describeRotation(plan), ...describeAlreadyServing(plan)])
          process.stdout.write(`  ${line}\n`);
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
