import { HealthCheckError, SlipwayError } from '../core/errors.js';
import { formatDurationMs } from '../core/duration.js';
import type { StartWorkerStep, StopWorkerStep, WaitWorkerStep } from '../plan/worker-steps.js';
import { agentOf } from './host-agent.js';
import type { StepContext, StepResult } from './step-context.js';

// The handlers of worker process steps (src/plan/worker-steps.ts): a worker is a target without a port.

/** The values of a target's secrets, as start-target gives them (only the agent's state file keeps them). */
function revealSecrets(names: readonly string[], ctx: StepContext): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) {
    const secret = ctx.secrets.get(name);
    if (!secret)
      throw new SlipwayError(`secret ${name} has no value`, {
        hint: `set ${name} or SLIPWAY_SECRET_${name} in the environment, or in .slipway/secrets/<environment>.env`,
      });
    values[name] = secret.reveal();
  }
  return values;
}

export async function startWorker(step: StartWorkerStep, ctx: StepContext): Promise<StepResult> {
  const agent = await agentOf(ctx, step.host);
  const target = await agent.call('startTarget', {
    id: step.targetId,
    app: step.app,
    release: step.release,
    command: step.command,
    env: step.env,
    secretEnv: revealSecrets(step.secretNames, ctx),
    stopTimeoutMs: step.stopTimeoutMs,
    // Never used: a worker is not routed, so nothing checks it over HTTP.
    healthCheck: { path: '/', intervalMs: 1000, timeoutMs: 1000, healthyThreshold: 1, unhealthyThreshold: 1 },
    restart: step.restart,
    process: step.process,
    ...(step.container ? { container: step.container } : {}),
  });
  return {
    detail: `${target.alreadyRunning ? 'already running' : 'started'} (pid ${target.pid ?? '?'})`,
    output: { pid: target.pid },
  };
}

export async function waitWorker(step: WaitWorkerStep, ctx: StepContext): Promise<StepResult> {
  const agent = await agentOf(ctx, step.host);
  const outcome = await agent.call('waitWorker', {
    id: step.targetId,
    check: step.check,
    ...(step.acceptHealthy ? { acceptHealthy: true } : {}),
  });
  if (!outcome.healthy) {
    throw new HealthCheckError(
      `worker ${step.process.name} ${step.process.instance} of ${step.release} did not become healthy on ${step.host}: ${outcome.reason ?? 'unknown reason'}`,
      { hint: `run "slipway logs <environment> --process ${step.process.name}" to see what it printed` },
    );
  }
  return { detail: `healthy after ${formatDurationMs(outcome.tookMs)}`, output: { tookMs: outcome.tookMs } };
}

export async function stopWorker(step: StopWorkerStep, ctx: StepContext): Promise<StepResult> {
  const agent = await agentOf(ctx, step.host);
  const started = ctx.clock.nowMs();
  const result = await agent.call('stopTarget', { id: step.targetId, drainTimeoutMs: 0 });
  const tookMs = ctx.clock.nowMs() - started;
  return { detail: result.stopped ? `stopped in ${formatDurationMs(tookMs)}` : 'was not running' };
}
