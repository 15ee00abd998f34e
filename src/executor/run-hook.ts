import { SlipwayError } from '../core/errors.js';
import { redact } from '../core/secret.js';
import { runCommand, type CommandRun } from '../core/run-command.js';
import type { RunHookStep } from '../plan/hook-steps.js';
import type { StepContext, StepResult } from './step-context.js';

/** The end of a hook's output kept with its step and shown when it fails. */
const OUTPUT_TAIL_CHARS = 2000;

/**
 * Runs a hook on the control plane: in the directory of slipway.yml, with the environment of `slipway` and what the
 * step tells of the deployment (SLIPWAY_*), no stdin, in its own process group (a timeout kills what it started).
 * Its output's tail, with every secret value of the deployment redacted, is kept with the step. A hook that fails
 * fails the step, unless it may continue: then the failure is ledgered (`hook.failed`) and the deployment goes on.
 */
export async function runHookStep(step: RunHookStep, ctx: StepContext): Promise<StepResult> {
  const where = ctx.hooks;
  if (!where) throw new SlipwayError('this deployment runs hooks, but was given nowhere to run them');
  let output = '';
  const run = await runCommand({
    command: step.command,
    timeoutMs: step.timeoutMs,
    cwd: where.cwd,
    env: {
      ...where.env,
      SLIPWAY_APP: step.app,
      SLIPWAY_ENVIRONMENT: step.environment,
      SLIPWAY_RELEASE: step.release,
      SLIPWAY_PREVIOUS_RELEASE: step.previousRelease ?? '',
      SLIPWAY_DEPLOYMENT: where.deploymentId,
      SLIPWAY_HOOK: step.point,
      SLIPWAY_HOSTS: step.hosts.join(' '),
      SLIPWAY_URL: step.url,
    },
    onOutput: (chunk) => {
      output = (output + chunk).slice(-OUTPUT_TAIL_CHARS * 2);
    },
  });
  const values = [...ctx.secrets.values()].map((s) => s.reveal());
  const tail = redact(output.slice(-OUTPUT_TAIL_CHARS), values).trimEnd();
  const failure = describeFailure(run);
  if (failure === null) {
    const last = tail.split('\n').at(-1) ?? '';
    return { detail: last ? `ok: ${last.slice(0, 160)}` : 'ok', output: { tail } };
  }
  const message = `hook ${JSON.stringify(step.name)} ${failure}`;
  if (!step.continueOnError) {
    throw new SlipwayError(`${message}${tail ? `\n${tail}` : ''}`, {
      hint: `the hook runs in ${where.cwd}; run it there by hand with the SLIPWAY_* variables to see why (docs/processes.md, "Hooks")`,
    });
  }
  await ctx.ledger?.({
    kind: 'hook.failed',
    message: `${message}; the deployment went on`,
    data: { point: step.point, name: step.name },
  });
  return { detail: `${failure}; going on (continueOnError)`, output: { tail, failed: true } };
}

/** How a hook's run failed, in words; null when it exited 0. */
function describeFailure(run: CommandRun): string | null {
  switch (run.kind) {
    case 'exited':
      return run.code === 0 ? null : `exited with code ${run.code}`;
    case 'killed':
      return `was killed by ${run.signal}`;
    case 'timed-out':
      return 'ran past its timeout and was stopped';
    case 'too-large':
      return 'printed more than it may';
    case 'not-started':
      return `could not start: ${run.message}`;
  }
}
