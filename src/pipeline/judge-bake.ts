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
}

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
 * target of the new release is unhealthy or not running. An inconclusive metric verdict (too few requests) does
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
      if (t.state === null) reasons.push(`target ${t.targetId} on ${t.host} is gone`);
      else if (t.state !== 'running') reasons.push(`target ${t.targetId} on ${t.host} is ${t.state}`);
      else if (t.health === 'unhealthy') reasons.push(`target ${t.targetId} on ${t.host} is unhealthy`);
    }
  }
  return { failed: reasons.length > 0, reasons, verdict };
}
