/**
 * The canary judge (pure): from what the canary and the stable version served in the same window, the
 * thresholds of the strategy and the results of further checks, a verdict — failed, successful or
 * inconclusive — with every condition, the numbers it looked at, and reasons that name those numbers.
 *
 * Conditions (α = 1 − confidence; "samples" are latency-histogram entries, "requests" the request counter):
 *
 * - `error-rate` (threshold). FAIL as soon as the one-sided lower confidence bound of the canary's 5xx rate
 *   (Wilson, with continuity correction) is above maxErrorRate — no minimum sample, so a clearly bad canary
 *   (8 errors in 30 requests) fails fast. PASS once requests ≥ minRequests and the observed rate ≤
 *   maxErrorRate. Otherwise inconclusive. The continuity correction keeps a single early error from failing
 *   a healthy canary: the plain Wilson bound calls 1 error in 2 requests "above 5% at 99%".
 * - `error-rate-vs-stable` (comparison; only when stable served ≥ minRequests in the window). FAIL when the
 *   score test (Farrington-Manning, continuity-corrected) says canary − stable > errorRateTolerance with
 *   p ≤ α, once the canary has COMPARISON_SAMPLE_FLOOR requests (below that the normal approximation calls a
 *   single error significant). PASS when canary requests ≥ minRequests and the difference is not
 *   significant. Otherwise inconclusive.
 * - `latency-vs-stable` (comparison; only when stable has ≥ max(minRequests, COMPARISON_SAMPLE_FLOOR)
 *   samples). Needs COMPARISON_SAMPLE_FLOOR canary samples for the normal approximation of Mann-Whitney U.
 *   FAIL when the canary is slower with p ≤ α AND its median is above stable's median × (1 +
 *   latencyTolerance) and by more than latencyMinDifferenceMs: the effect-size guards stop a huge sample (or
 *   a freshly started process still warming up) from flagging a trivial difference. PASS
 *   otherwise once canary samples ≥ minRequests. Otherwise inconclusive.
 * - `p99-latency` (threshold; only with maxP99Ms). FAIL when samples ≥ minRequests and the canary's p99 is
 *   above maxP99Ms; PASS when samples ≥ minRequests and it is not; otherwise inconclusive (also when the p99
 *   lies in the histogram's open bucket and maxP99Ms is above the last bound: the histogram cannot tell).
 * - `check:<name>`: each further check's status as its provider gave it.
 *
 * A comparison whose stable side has too little data is left out (with a note in the reasons) rather than
 * held inconclusive: a quiet app that gets its samples from probe traffic to the canary would otherwise never
 * pass. Without a stable (first deploy) only thresholds and checks count.
 *
 * Verdict: failed if any condition failed; successful if every condition passed; else inconclusive. Reasons
 * are the details of the failed conditions, or of the inconclusive ones, or of all when successful (then
 * with the notes). Measurements always carry the same keys (null when not computed), plus one per check.
 *
 * The judge is evaluated again every interval on a growing window, so its real false-alarm rate is above α;
 * the conservative corrections above and the floors keep that in check for the early, small windows.
 */
import { formatDurationMs } from '../core/duration.js';
import {
  histogramCount,
  medianFromHistogram,
  quantileFromHistogram,
  sameBuckets,
  type LatencyHistogram,
} from '../core/latency-histogram.js';
import type { AnalysisSpec } from './analysis-spec.js';
import type { CheckResult, ConditionStatus } from './check-result.js';
import { mannWhitneyFromHistograms, twoProportionTest, wilsonLowerBound } from './stats.js';
import type { WindowStats } from './window.js';

/** Fewest samples per side for a comparison to rely on a normal approximation. */
export const COMPARISON_SAMPLE_FLOOR = 20;

export interface JudgeInput {
  canary: WindowStats;
  /** Null when there is no stable version to compare with (a first deploy). */
  stable: WindowStats | null;
  spec: AnalysisSpec;
  checks: CheckResult[];
}

export interface Condition {
  name: string;
  status: ConditionStatus;
  detail: string;
}

export type VerdictResult = 'successful' | 'failed' | 'inconclusive';

export interface Verdict {
  result: VerdictResult;
  reasons: string[];
  measurements: Record<string, number | null>;
  conditions: Condition[];
}

type Measurements = Record<string, number | null>;

export function judgeCanary(input: JudgeInput): Verdict {
  const { canary, stable, spec } = input;
  const measurements = measureWindows(canary, stable);
  const notes: string[] = [];
  const conditions: Condition[] = [judgeErrorRate(canary, spec, measurements)];

  if (stable === null) {
    notes.push('no stable version to compare with (first deploy): judged on thresholds and checks only');
  } else {
    for (const outcome of [
      judgeErrorComparison(canary, stable, spec, measurements),
      judgeLatencyComparison(canary, stable, spec, measurements),
    ]) {
      if (typeof outcome === 'string') notes.push(outcome);
      else conditions.push(outcome);
    }
  }
  if (spec.maxP99Ms !== undefined) conditions.push(judgeP99(canary, spec.maxP99Ms, spec));
  for (const check of input.checks) {
    conditions.push({
      name: `check:${check.name}`,
      status: check.status,
      detail: `${check.name}: ${check.detail}`,
    });
    measurements[`check:${check.name}`] = check.value ?? null;
  }

  const result = decide(conditions);
  const deciding =
    result === 'failed'
      ? conditions.filter((c) => c.status === 'fail')
      : result === 'inconclusive'
        ? conditions.filter((c) => c.status === 'inconclusive')
        : conditions;
  const reasons = deciding.map((c) => c.detail);
  if (result !== 'failed') reasons.push(...notes);
  return { result, reasons, measurements, conditions };
}

function decide(conditions: Condition[]): VerdictResult {
  if (conditions.some((c) => c.status === 'fail')) return 'failed';
  if (conditions.every((c) => c.status === 'pass')) return 'successful';
  return 'inconclusive';
}

function judgeErrorRate(canary: WindowStats, spec: AnalysisSpec, m: Measurements): Condition {
  const name = 'error-rate';
  const { errors, requests } = errorCounts(canary);
  if (requests === 0) {
    return { name, status: 'inconclusive', detail: 'the canary has served no requests yet' };
  }
  const rate = errors / requests;
  const lower = wilsonLowerBound(errors, requests, spec.confidence, { continuityCorrection: true });
  m.canaryErrorRateLowerBound = lower;
  const observed = `canary 5xx rate ${pct(rate)} (${errors} of ${requests} requests)`;
  const bound = `lower bound ${pct(lower)} at ${pct(spec.confidence)}`;
  if (lower > spec.maxErrorRate) {
    return { name, status: 'fail', detail: `${observed}, ${bound}, > max ${pct(spec.maxErrorRate)}` };
  }
  if (requests >= spec.minRequests && rate <= spec.maxErrorRate) {
    return { name, status: 'pass', detail: `${observed} ≤ max ${pct(spec.maxErrorRate)}` };
  }
  if (requests < spec.minRequests) {
    return {
      name,
      status: 'inconclusive',
      detail: `${observed}; ${spec.minRequests} requests needed to pass`,
    };
  }
  return {
    name,
    status: 'inconclusive',
    detail: `${observed} > max ${pct(spec.maxErrorRate)}, but not significantly (${bound})`,
  };
}

/** The comparison of 5xx rates, or a note when stable has too few requests to compare with. */
function judgeErrorComparison(
  canary: WindowStats,
  stable: WindowStats,
  spec: AnalysisSpec,
  m: Measurements,
): Condition | string {
  const name = 'error-rate-vs-stable';
  const c = errorCounts(canary);
  const s = errorCounts(stable);
  if (s.requests < spec.minRequests) {
    return `no error-rate comparison with stable: it served ${s.requests} requests in the window, ${spec.minRequests} needed`;
  }
  if (c.requests === 0) {
    return { name, status: 'inconclusive', detail: 'the canary has served no requests yet' };
  }
  const rates =
    `canary 5xx rate ${pct(c.errors / c.requests)} (${c.errors} of ${c.requests} requests)` +
    ` vs stable ${pct(s.errors / s.requests)} (${s.errors} of ${s.requests})`;
  const tolerance = pct(spec.errorRateTolerance);
  if (c.requests < COMPARISON_SAMPLE_FLOOR) {
    const needed = Math.max(COMPARISON_SAMPLE_FLOOR, spec.minRequests);
    return {
      name,
      status: 'inconclusive',
      detail: `${rates}: ${c.requests} canary requests, ${needed} needed`,
    };
  }
  const test = twoProportionTest({
    x1: c.errors,
    n1: c.requests,
    x2: s.errors,
    n2: s.requests,
    // A tolerance of 100% can never be exceeded; the test needs a margin below 1.
    margin: Math.min(spec.errorRateTolerance, 1 - 1e-9),
    continuityCorrection: true,
  });
  m.errorComparisonZ = finiteOrNull(test.z);
  m.errorComparisonPValue = test.pValue;
  const alpha = 1 - spec.confidence;
  if (test.pValue <= alpha) {
    return {
      name,
      status: 'fail',
      detail: `${rates}: exceeds stable by more than ${tolerance} at ${pct(spec.confidence)} confidence (p ${formatP(test.pValue)})`,
    };
  }
  const notSignificant = `no significant excess of more than ${tolerance} over stable (p ${formatP(test.pValue)})`;
  if (c.requests >= spec.minRequests) return { name, status: 'pass', detail: `${rates}: ${notSignificant}` };
  return {
    name,
    status: 'inconclusive',
    detail: `${rates}: ${notSignificant}; ${c.requests} canary requests, ${spec.minRequests} needed to pass`,
  };
}

/** The comparison of latency distributions, or a note when stable has too few samples to compare with. */
function judgeLatencyComparison(
  canary: WindowStats,
  stable: WindowStats,
  spec: AnalysisSpec,
  m: Measurements,
): Condition | string {
  const name = 'latency-vs-stable';
  const canarySamples = histogramCount(canary.latency);
  const stableSamples = histogramCount(stable.latency);
  const stableNeeded = Math.max(spec.minRequests, COMPARISON_SAMPLE_FLOOR);
  if (stableSamples < stableNeeded) {
    return `no latency comparison with stable: it has ${stableSamples} latency samples in the window, ${stableNeeded} needed`;
  }
  if (!sameBuckets(canary.latency, stable.latency)) {
    return {
      name,
      status: 'inconclusive',
      detail: 'canary and stable latency histograms have different buckets and cannot be compared',
    };
  }
  const canaryMedian = medianFromHistogram(canary.latency);
  if (canaryMedian === null) {
    return { name, status: 'inconclusive', detail: 'the canary has no latency samples yet' };
  }
  const stableMedian = medianFromHistogram(stable.latency) as number;
  const medians = `canary median ${ms(canaryMedian)} vs stable ${ms(stableMedian)}`;
  if (canarySamples < COMPARISON_SAMPLE_FLOOR) {
    const needed = Math.max(COMPARISON_SAMPLE_FLOOR, spec.minRequests);
    return {
      name,
      status: 'inconclusive',
      detail: `${medians}: ${canarySamples} canary samples, ${needed} needed`,
    };
  }
  const test = mannWhitneyFromHistograms(canary.latency, stable.latency);
  m.latencyComparisonZ = test.z;
  m.latencyComparisonPValue = test.pValue;
  m.latencyProbabilitySlower = test.probabilityGreater;
  // The larger of the relative and the absolute margin: a fresh process may be slower by a fraction of a
  // millisecond while its code warms up, which no user notices and must not abort a good release.
  const limitMs = Math.max(
    stableMedian * (1 + spec.latencyTolerance),
    stableMedian + (spec.latencyMinDifferenceMs ?? 0),
  );
  const slower = test.pValue <= 1 - spec.confidence;
  const p = `Mann-Whitney p ${formatP(test.pValue)}`;
  if (slower && canaryMedian > limitMs) {
    return {
      name,
      status: 'fail',
      detail: `${medians}: slower at ${pct(spec.confidence)} confidence (${p}) and more than ${pct(spec.latencyTolerance)} above stable (limit ${ms(limitMs)})`,
    };
  }
  const finding = slower
    ? `slower (${p}) but within ${pct(spec.latencyTolerance)} of stable (limit ${ms(limitMs)})`
    : `not significantly slower (${p})`;
  if (canarySamples >= spec.minRequests) return { name, status: 'pass', detail: `${medians}: ${finding}` };
  return {
    name,
    status: 'inconclusive',
    detail: `${medians}: ${finding}; ${canarySamples} canary samples, ${spec.minRequests} needed to pass`,
  };
}

function judgeP99(canary: WindowStats, maxP99Ms: number, spec: AnalysisSpec): Condition {
  const name = 'p99-latency';
  const samples = histogramCount(canary.latency);
  const p99 = quantileFromHistogram(canary.latency, 0.99);
  const max = `max ${ms(maxP99Ms)}`;
  if (p99 === null) return { name, status: 'inconclusive', detail: 'the canary has no latency samples yet' };
  if (samples < spec.minRequests) {
    return {
      name,
      status: 'inconclusive',
      detail: `canary p99 latency ${ms(p99)} over ${samples} samples; ${spec.minRequests} needed`,
    };
  }
  const lastBoundMs = canary.latency.boundsMs[canary.latency.boundsMs.length - 1];
  if (lastBoundMs !== undefined && p99InOpenBucket(canary.latency) && maxP99Ms >= lastBoundMs) {
    return {
      name,
      status: 'inconclusive',
      detail: `canary p99 latency is above ${ms(lastBoundMs)}, the histogram's last bound; it cannot tell whether it is above ${max}`,
    };
  }
  if (p99 > maxP99Ms) return { name, status: 'fail', detail: `canary p99 latency ${ms(p99)} > ${max}` };
  return { name, status: 'pass', detail: `canary p99 latency ${ms(p99)} ≤ ${max}` };
}

function measureWindows(canary: WindowStats, stable: WindowStats | null): Measurements {
  const c = errorCounts(canary);
  const s = stable && errorCounts(stable);
  return {
    canaryRequests: c.requests,
    canaryErrors5xx: c.errors,
    canaryProxyErrors: canary.proxyErrors,
    canaryErrorRate: c.requests > 0 ? c.errors / c.requests : null,
    canaryErrorRateLowerBound: null,
    canaryLatencySamples: histogramCount(canary.latency),
    canaryP50Ms: medianFromHistogram(canary.latency),
    canaryP99Ms: quantileFromHistogram(canary.latency, 0.99),
    stableRequests: s ? s.requests : null,
    stableErrors5xx: s ? s.errors : null,
    stableErrorRate: s && s.requests > 0 ? s.errors / s.requests : null,
    stableLatencySamples: stable ? histogramCount(stable.latency) : null,
    stableP50Ms: stable ? medianFromHistogram(stable.latency) : null,
    stableP99Ms: stable ? quantileFromHistogram(stable.latency, 0.99) : null,
    errorComparisonZ: null,
    errorComparisonPValue: null,
    latencyComparisonZ: null,
    latencyComparisonPValue: null,
    latencyProbabilitySlower: null,
  };
}

/** Request and 5xx counts, made consistent: a window cannot have more errors than requests. */
function errorCounts(w: WindowStats): { errors: number; requests: number } {
  const requests = Math.max(0, w.requests);
  return { requests, errors: Math.min(Math.max(0, w.errors5xx), requests) };
}

/** Whether the 99th percentile falls in the open bucket above the last bound. */
function p99InOpenBucket(h: LatencyHistogram): boolean {
  const total = histogramCount(h);
  const open = h.counts[h.boundsMs.length] ?? 0;
  return total > 0 && total - open < 0.99 * total;
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** 0.198 → "19.8%", 0.05 → "5%", 0.0015 → "0.15%". */
function pct(fraction: number): string {
  const percent = fraction * 100;
  const digits = percent !== 0 && Math.abs(percent) < 1 ? 2 : 1;
  return `${Number(percent.toFixed(digits))}%`;
}

const ms = formatDurationMs;

function formatP(p: number): string {
  return p < 0.0001 ? '< 0.0001' : `= ${Number(p.toPrecision(2))}`;
}
