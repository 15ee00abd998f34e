import { request } from '../core/http-request.js';
import type { AgentEvent, TargetMetrics } from '../agent/protocol.js';
import { deriveWindow } from '../analysis/index.js';
import { formatDurationMs } from '../core/duration.js';
import { SlipwayError } from '../core/errors.js';
import { sumMetrics } from '../analysis/sum-metrics.js';
import { sleepUnlessAborted } from '../core/sleep.js';
import type { StepContext, StepResult } from '../executor/step-context.js';
import {
  deriveUnhealthyReports,
  judgeBakeSample,
  type BakeSample,
  type UnhealthyReport,
} from './judge-bake.js';
import type { BakeStep } from './pipeline-steps.js';

/**
 * Watches the new release for the bake's duration: every interval, its router metrics since the bake began, its
 * targets' health, and the agents' reports of a target turning unhealthy since the bake began are judged; a
 * failing rule fails the step (and so the deployment rolls back). Records `bake.started`, then `bake.passed` or
 * `bake.failed` with the numbers.
 */
export async function bakeHandler(step: BakeStep, ctx: StepContext): Promise<StepResult> {
  const { signal } = ctx;
  const startedMs = ctx.clock.nowMs();
  const baseline = await readMetrics(step, ctx);
  const reports = await HealthReports.since(step, ctx);
  await ctx.ledger?.({
    kind: 'bake.started',
    message: `bake of ${step.release} started: watched for ${formatDurationMs(step.durationMs)}`,
    data: { durationMs: step.durationMs },
  });
  const probe = startProbe(step);
  try {
    let last: ReturnType<typeof judgeBakeSample> | null = null;
    for (;;) {
      const left = startedMs + step.durationMs - ctx.clock.nowMs();
      await sleepUnlessAborted(Math.max(0, Math.min(step.intervalMs, left)), signal);
      last = judgeBakeSample(await readSample(step, ctx, baseline, reports), step);
      if (last.failed) {
        const message = `bake of ${step.release} failed: ${last.reasons.join('; ')}`;
        await ctx.ledger?.({ kind: 'bake.failed', message, data: last.verdict });
        throw new SlipwayError(message, {
          hint: 'the previous release serves again; "slipway logs" shows what the new one did',
        });
      }
      if (left <= step.intervalMs) break;
    }
    const served = last?.verdict.measurements.canaryRequests ?? null;
    await ctx.ledger?.({
      kind: 'bake.passed',
      message: `bake of ${step.release} passed after ${formatDurationMs(ctx.clock.nowMs() - startedMs)}${served !== null ? ` (${served} requests)` : ''}`,
      data: last?.verdict ?? null,
    });
    return {
      detail: `passed${served !== null ? ` (${served} requests)` : ''}`,
      output: { measurements: last?.verdict.measurements ?? null },
    };
  } finally {
    if (probe) clearInterval(probe);
  }
}

async function readMetrics(step: BakeStep, ctx: StepContext): Promise<TargetMetrics> {
  const ids = new Set(step.targets.map((t) => t.targetId));
  const perHost = await Promise.all(
    [...new Set(step.targets.map((t) => t.host))].map(async (name) => {
      const host = ctx.hosts.get(name);
      if (!host) throw new SlipwayError(`host ${name} is not part of this environment`);
      return (await (await host.agent()).call('metrics', { app: step.app })).targets;
    }),
  );
  return sumMetrics(
    perHost.flat().filter((t) => ids.has(t.targetId)),
    step.release,
  );
}

async function readSample(
  step: BakeStep,
  ctx: StepContext,
  baseline: TargetMetrics,
  reports: HealthReports,
): Promise<BakeSample> {
  const now = await readMetrics(step, ctx);
  const targets = await Promise.all(
    step.targets.map(async (t) => {
      const host = ctx.hosts.get(t.host);
      const state = host ? await (await host.agent()).call('state', {}) : null;
      const target = state?.targets.find((x) => x.id === t.targetId);
      return { ...t, state: target?.state ?? null, health: target?.health ?? null };
    }),
  );
  // Read after the states: an agent journals the report as it marks the target unhealthy, so a target seen
  // unhealthy comes with its report (and the reason with the failed check in it).
  const unhealthyReports = await reports.read();
  return { window: deriveWindow(baseline, now), targets, unhealthyReports };
}

/**
 * The `target.unhealthy` reports of the new release's targets, read from each host's agent journal by seq from
 * where it stood when the bake began: a target that failed its checks and recovered between two samples is seen.
 */
class HealthReports {
  readonly #seen: UnhealthyReport[] = [];

  private constructor(
    private readonly step: BakeStep,
    private readonly ctx: StepContext,
    /** Per host: the last event seq read. */
    private readonly cursors: Map<string, number>,
  ) {}

  static async since(step: BakeStep, ctx: StepContext): Promise<HealthReports> {
    const cursors = new Map<string, number>();
    for (const host of new Set(step.targets.map((t) => t.host))) {
      const events = await readEvents(ctx, host, 0);
      cursors.set(host, events.at(-1)?.seq ?? 0);
    }
    return new HealthReports(step, ctx, cursors);
  }

  /** Every report since the bake began (the new ones are read now). */
  async read(): Promise<UnhealthyReport[]> {
    for (const [host, afterSeq] of this.cursors) {
      const events = await readEvents(this.ctx, host, afterSeq);
      const ids = new Set(this.step.targets.filter((t) => t.host === host).map((t) => t.targetId));
      this.#seen.push(...deriveUnhealthyReports(host, events, ids));
      this.cursors.set(host, events.at(-1)?.seq ?? afterSeq);
    }
    return [...this.#seen];
  }
}

async function readEvents(ctx: StepContext, name: string, afterSeq: number): Promise<AgentEvent[]> {
  const host = ctx.hosts.get(name);
  if (!host) throw new SlipwayError(`host ${name} is not part of this environment`);
  return (await (await host.agent()).call('events', { afterSeq })).events;
}

function startProbe(step: BakeStep): NodeJS.Timeout | null {
  const probe = step.probe;
  if (!probe) return null;
  const url = `http://127.0.0.1:${probe.publicPort}${probe.path}`;
  const timer = setInterval(
    () => {
      void request(url, { headersTimeout: 5000, bodyTimeout: 5000 })
        .then((res) => res.body.dump())
        .catch(() => undefined);
    },
    Math.max(1, Math.round(1000 / probe.ratePerSecond)),
  );
  timer.unref();
  return timer;
}
