import { isoAt } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import { sleepUnlessAborted } from '../core/sleep.js';
import type { StepContext, StepResult } from '../executor/step-context.js';
import { deriveActiveFreeze } from './freezes.js';
import type { AwaitWindowStep } from './pipeline-steps.js';
import { deriveStartAtMs } from './windows.js';

/** Longest single sleep: the start time is computed again after it, so a changed clock is noticed. */
const MAX_SLEEP_MS = 30_000;

/**
 * Waits until the deployment may start. Idempotent: a resumed deployment computes the start time again from the
 * step's data and the clock, so it waits exactly as long as is left.
 */
export async function awaitWindowHandler(step: AwaitWindowStep, ctx: StepContext): Promise<StepResult> {
  const waitedFromMs = ctx.clock.nowMs();
  let announced: number | null = null;
  for (;;) {
    const nowMs = ctx.clock.nowMs();
    const startAtMs = deriveStartAtMs(step.windows, step.notBeforeMs, nowMs);
    if (startAtMs === null) {
      throw new SlipwayError('no deploy window opens again; the deployment cannot start', {
        hint: 'check the windows of this environment in slipway.yml',
      });
    }
    if (startAtMs <= nowMs) break;
    if (announced !== startAtMs) {
      announced = startAtMs;
      await ctx.ledger?.({
        kind: 'deploy.scheduled',
        message: `waits until ${isoAt(startAtMs)} (${step.notBeforeMs !== null && startAtMs === step.notBeforeMs ? 'scheduled' : 'next deploy window'})`,
        data: { runAtMs: startAtMs, notBeforeMs: step.notBeforeMs, windows: step.windows },
      });
    }
    await sleepUnlessAborted(Math.min(MAX_SLEEP_MS, startAtMs - nowMs), ctx.signal);
  }
  // A freeze that began while the deployment waited blocks it too.
  const freeze = deriveActiveFreeze(step.freezes, ctx.clock.nowMs());
  if (freeze && !step.freezeOverridden) {
    throw new SlipwayError(`freeze "${freeze.name}" is in force until ${isoAt(freeze.toMs)}`, {
      hint: 'deploy again after the freeze, or with --override-freeze --reason "…" if your role allows it',
    });
  }
  const waitedMs = ctx.clock.nowMs() - waitedFromMs;
  return {
    detail: waitedMs < 1000 ? 'may start now' : `started at ${isoAt(ctx.clock.nowMs())}`,
    output: { startedAtMs: ctx.clock.nowMs(), waitedMs },
  };
}
