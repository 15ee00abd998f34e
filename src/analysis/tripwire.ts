/**
 * The canary tripwire (pure): the part of the analysis that the router itself runs on every canary response,
 * so that a clearly bad canary loses its traffic within milliseconds of the evidence, not at the next
 * analysis interval of the control plane.
 *
 * Because it looks after every response, a fixed-sample test would raise false alarms far above its nominal
 * rate. The tripwire uses an anytime-valid test instead: a mixture of likelihood ratios (sequential
 * probability ratio tests) over a fixed grid of alternatives. Under the null hypothesis the mixture is a
 * non-negative supermartingale, so by Ville's inequality the chance that it EVER reaches 1/α is at most α —
 * however often it is looked at.
 *
 * - Error rate. H0: the canary's 5xx rate ≤ min(maxErrorRate, stable's rate + errorRateTolerance), stable's
 *   rate taken as its upper confidence bound at STABLE_BOUND_CONFIDENCE (so the false-alarm rate is at most
 *   α + 0.001). Without STABLE_SAMPLE_FLOOR stable requests, only maxErrorRate counts.
 * - Latency. From stable's histogram: the threshold T is the smallest bucket bound that at most 10% of stable's
 *   samples exceed and that lies above stable's median by the judge's effect sizes (latencyTolerance and
 *   latencyMinDifference). A threshold in stable's body rather than its tail keeps a busy machine's long tail
 *   from pushing T above the slowdown to catch. H0: a canary response is slower than T no more often than
 *   stable's (upper bound of its share above T, at least 5%). A response counts as slow once it has taken longer than T, also while
 *   still in flight: a version that hangs is caught before its first answer. It trips only while most of the
 *   canary's responses are slow (its median is above T, as the judge's effect sizes ask). At least MIN_SLOW_RESPONSES slow
 *   responses are needed, so that the first requests of a process that is still warming up cannot trip it.
 *   Without STABLE_SAMPLE_FLOOR stable samples there is no latency tripwire.
 *
 * The control plane's judge (judge.ts) still runs every interval over the whole window; the tripwire only
 * ends a canary earlier, never promotes one.
 */
import { medianFromHistogram, type LatencyHistogram } from '../core/latency-histogram.js';
import { wilsonInterval } from './stats.js';

/** Alternatives of the mixture (share of bad responses under "the canary is bad"), equally weighted. */
export const TRIPWIRE_ALTERNATIVES: readonly number[] = [0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9];
/** Fewest stable samples (requests) for a comparison with stable. */
export const STABLE_SAMPLE_FLOOR = 100;
/** Confidence of stable's upper bounds (its error rate, its share of slow responses). */
export const STABLE_BOUND_CONFIDENCE = 0.999;
/** Fewest slow canary responses before the latency tripwire may trip (warm-up of a fresh process). */
export const MIN_SLOW_RESPONSES = 3;
/** T is chosen so that at most this share of stable's samples is above it. */
export const STABLE_SLOW_SHARE = 0.1;
/** H0's share of slow responses is at least this, however few of stable's are above T. */
export const SLOW_SHARE_FLOOR = 0.05;

export interface TripwireSpec {
  /** 1 − α of the tripwire's tests, the analysis' confidence. */
  confidence: number;
  maxErrorRate: number;
  errorRateTolerance: number;
  latencyTolerance: number;
  latencyMinDifferenceMs: number;
}

/** What the tripwire knows of stable when it is armed. */
export interface StableSample {
  requests: number;
  errors5xx: number;
  latency: LatencyHistogram;
}

export interface TripwirePlan {
  alpha: number;
  /** H0's error rate: a canary at or below it is fine. */
  errorRateLimit: number;
  /** Null when stable has too few samples, or too slow a tail to tell. */
  latency: { thresholdMs: number; slowShareLimit: number } | null;
  /** Why a part is off or how it was set, for the verdict. */
  notes: string[];
}

/** The canary's responses since the tripwire was armed. */
export interface TripwireCounts {
  requests: number;
  errors: number;
  /** Responses whose latency side is known: finished, or in flight for longer than T. */
  decided: number;
  /** Of those, slower than T. */
  slow: number;
}

export interface Trip {
  condition: 'error-rate' | 'latency';
  /** The mixture likelihood ratio that crossed 1/α. */
  likelihoodRatio: number;
  detail: string;
  measurements: Record<string, number>;
}

export function planTripwire(stable: StableSample, spec: TripwireSpec): TripwirePlan {
  const notes: string[] = [];
  let errorRateLimit = spec.maxErrorRate;
  if (stable.requests >= STABLE_SAMPLE_FLOOR) {
    const upper = upperBound(Math.min(stable.errors5xx, stable.requests), stable.requests);
    errorRateLimit = Math.min(spec.maxErrorRate, upper + spec.errorRateTolerance);
  } else {
    notes.push(`stable served ${stable.requests} requests, ${STABLE_SAMPLE_FLOOR} needed to compare with it`);
  }
  return {
    alpha: 1 - spec.confidence,
    errorRateLimit,
    latency: planLatency(stable.latency, spec, notes),
    notes,
  };
}

function planLatency(h: LatencyHistogram, spec: TripwireSpec, notes: string[]): TripwirePlan['latency'] {
  let total = 0;
  for (const c of h.counts) total += c;
  if (total < STABLE_SAMPLE_FLOOR) {
    notes.push(`no latency tripwire: stable has ${total} latency samples, ${STABLE_SAMPLE_FLOOR} needed`);
    return null;
  }
  const median = medianFromHistogram(h) ?? 0;
  const floor = Math.max(median * (1 + spec.latencyTolerance), median + spec.latencyMinDifferenceMs);
  let atOrBelow = 0;
  for (let i = 0; i < h.boundsMs.length; i++) {
    atOrBelow += h.counts[i] ?? 0;
    const bound = h.boundsMs[i] as number;
    const above = total - atOrBelow;
    if (bound >= floor && above <= STABLE_SLOW_SHARE * total) {
      return { thresholdMs: bound, slowShareLimit: Math.max(SLOW_SHARE_FLOOR, upperBound(above, total)) };
    }
  }
  notes.push('no latency tripwire: stable is too slow for the histogram to give a threshold');
  return null;
}

function upperBound(successes: number, n: number): number {
  // The two-sided interval at 2c − 1 has the one-sided bound at c as its upper end.
  return wilsonInterval(successes, n, 2 * STABLE_BOUND_CONFIDENCE - 1).upper;
}

/**
 * The mean over the alternatives above `p0` of the likelihood ratio of `k` bad responses in `n` (1 when no
 * alternative lies above p0: there is nothing to detect).
 */
export function mixtureLikelihoodRatio(k: number, n: number, p0: number): number {
  if (!(p0 > 0 && p0 < 1)) throw new RangeError(`p0 must be between 0 and 1, got ${p0}`);
  if (!(k >= 0 && n >= k)) throw new RangeError(`need 0 ≤ k ≤ n, got k=${k}, n=${n}`);
  let sum = 0;
  let count = 0;
  for (const p1 of TRIPWIRE_ALTERNATIVES) {
    if (p1 <= p0) continue;
    sum += Math.exp(k * Math.log(p1 / p0) + (n - k) * Math.log((1 - p1) / (1 - p0)));
    count++;
  }
  return count === 0 ? 1 : sum / count;
}

/** The first condition whose evidence crossed 1/α, or null. */
export function checkTripwire(plan: TripwirePlan, counts: TripwireCounts): Trip | null {
  const bar = 1 / plan.alpha;
  if (counts.errors > 0 && plan.errorRateLimit < 1) {
    // A limit of 0 (no 5xx allowed at all) is tested as a very small rate: the first errors trip it.
    const ratio = mixtureLikelihoodRatio(counts.errors, counts.requests, Math.max(plan.errorRateLimit, 1e-4));
    if (ratio >= bar) {
      return {
        condition: 'error-rate',
        likelihoodRatio: ratio,
        detail:
          `tripwire: ${counts.errors} of ${counts.requests} canary responses were 5xx, ` +
          `evidence ${formatRatio(ratio)}:1 that the rate is above ${pct(plan.errorRateLimit)} (needed ${formatRatio(bar)}:1)`,
        measurements: {
          tripwireErrors: counts.errors,
          tripwireRequests: counts.requests,
          tripwireErrorRateLimit: plan.errorRateLimit,
          tripwireLikelihoodRatio: ratio,
        },
      };
    }
  }
  const latency = plan.latency;
  // Most of the canary's responses must be slow: its median is then above T, so above stable's median by the
  // judge's effect sizes. A tail that is merely heavier than stable's is left to the judge.
  if (latency !== null && counts.slow >= MIN_SLOW_RESPONSES && counts.slow * 2 > counts.decided) {
    const ratio = mixtureLikelihoodRatio(counts.slow, counts.decided, latency.slowShareLimit);
    if (ratio >= bar) {
      return {
        condition: 'latency',
        likelihoodRatio: ratio,
        detail:
          `tripwire: ${counts.slow} of ${counts.decided} canary responses took longer than ${latency.thresholdMs} ms ` +
          `(stable: at most ${pct(latency.slowShareLimit)}), evidence ${formatRatio(ratio)}:1 (needed ${formatRatio(bar)}:1)`,
        measurements: {
          tripwireSlow: counts.slow,
          tripwireDecided: counts.decided,
          tripwireThresholdMs: latency.thresholdMs,
          tripwireSlowShareLimit: latency.slowShareLimit,
          tripwireLikelihoodRatio: ratio,
        },
      };
    }
  }
  return null;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;
}

function formatRatio(x: number): string {
  return x >= 1e6 ? x.toExponential(1) : String(Math.round(x));
}
