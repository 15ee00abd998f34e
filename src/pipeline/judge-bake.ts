import type { AgentEvent } from '../agent/protocol.js';
import { judgeCanary, type Verdict, type WindowStats } from '../analysis/index.js';

export interface BakeRules {
  maxErrorRate: number;
  maxP99Ms: number | null;
  minRequests: number;
  requireHealthy: boolean;
}

export interface BakeSample {
  /** What the new release served since the bake began, summed over its hosts. */
  window: WindowStats;
  /** Each target of the new release as its agent reports it (a missing target counts as not running). */
  targets: Array<{ host: string; targetId: string; state: string | null; health: string | null }>;
  /**
   * The times an agent reported a target of the new release unhealthy since the bake began (its health checks
   * go on while it serves): a target that failed and recovered between two samples fails the bake too.
   */
  unhealthyReports: UnhealthyReport[];
}

export interface UnhealthyReport {
  host: string;
  targetId: string;
  /** The failed checks in a row and the last one's failure, in words. */
  detail: string;
}

/** The agent event a target's health watch journals when its checks fail `unhealthyThreshold` times in a row. */
export const TARGET_UNHEALTHY_EVENT = 'target.unhealthy';

export interface BakeJudgement {
  failed: boolean;
  reasons: string[];
  verdict: Verdict;
}

/** The bake confidence: as strict as the canary's default, so one early error does not roll a release back. */
const BAKE_CONFIDENCE = 0.99;

/**
 * Judges one bake sample (pure). Metric rules are the canary judge's thresholds without a stable to compare
 * with (5xx rate by its one-sided Wilson bound, p99 once minRequests were served); health fails as soon as a
 * target of the new release is unhealthy or not running, or was reported unhealthy since the bake began (even if it
 * recovered since). An inconclusive metric verdict (too few requests) does
 * not fail the bake: a quiet environment passes on health alone.
 */
export function judgeBakeSample(sample: BakeSample, rules: BakeRules): BakeJudgement {
  const verdict = judgeCanary({
    canary: sample.window,
    stable: null,
    spec: {
      minRequests: rules.minRequests,
      confidence: BAKE_CONFIDENCE,
      maxErrorRate: rules.maxErrorRate,
      errorRateTolerance: 1,
      latencyTolerance: 1,
      ...(rules.maxP99Ms !== null ? { maxP99Ms: rules.maxP99Ms } : {}),
    },
    checks: [],
  });
  const reasons =
    verdict.result === 'failed' ? verdict.reasons.map((r) => r.replace(/^canary /, 'new release ')) : [];
  if (rules.requireHealthy) {
    for (const t of sample.targets) {
      const report = sample.unhealthyReports.find((r) => r.host === t.host && r.targetId === t.targetId);
      if (t.state === null) reasons.push(`target ${t.targetId} on ${t.host} is gone`);
      else if (t.state !== 'running') reasons.push(`target ${t.targetId} on ${t.host} is ${t.state}`);
      else if (report) reasons.push(`target ${t.targetId} on ${t.host} ${report.detail}`);
      else if (t.health === 'unhealthy') reasons.push(`target ${t.targetId} on ${t.host} is unhealthy`);
    }
  }
  return { failed: reasons.length > 0, reasons, verdict };
}

/**
 * The `target.unhealthy` reports among a host's agent events that concern the given targets, oldest first (pure).
 * The detail comes from the event's data when it has it, else from its message.
 */
export function deriveUnhealthyReports(
  host: string,
  events: readonly AgentEvent[],
  targetIds: ReadonlySet<string>,
): UnhealthyReport[] {
  return events.flatMap((e) => {
    if (e.kind !== TARGET_UNHEALTHY_EVENT || e.targetId === null || !targetIds.has(e.targetId)) return [];
    return [{ host, targetId: e.targetId, detail: describeUnhealthy(e) }];
  });
}

function describeUnhealthy(e: AgentEvent): string {
  const failures = e.data?.['consecutiveFailures'];
  const reason = e.data?.['reason'];
  if (typeof failures === 'number' && typeof reason === 'string')
    return `failed its health check ${failures} time${failures === 1 ? '' : 's'} in a row while serving: ${reason}`;
  return `was reported unhealthy while serving: ${e.message}`;
}
