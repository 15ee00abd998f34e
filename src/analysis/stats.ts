/**
 * The statistics the canary judge needs, pure and dependency-free: the normal distribution, the Wilson score
 * interval for one rate, a score test for the difference of two rates with a margin, and the Mann-Whitney U
 * test on two latency histograms.
 *
 * One-sided p-values are upper tails computed as `normalCdf(-z)` (not `1 - normalCdf(z)`), so that strong
 * evidence keeps its precision instead of rounding to 0.
 */
import { sameBuckets, type LatencyHistogram } from '../core/latency-histogram.js';

const SQRT_2PI = Math.sqrt(2 * Math.PI);

// Hart's rational approximation of the normal tail, highest power first.
const HART_NUM = [
  0.0352624965998911, 0.700383064443688, 6.37396220353165, 33.912866078383, 112.079291497871,
  221.213596169931, 220.206867912376,
];
const HART_DEN = [
  0.0883883476483184, 1.75566716318264, 16.064177579207, 86.7807322029461, 296.564248779674, 637.333633378831,
  793.826512519948, 440.413735824752,
];

/**
 * Φ(z), the standard normal CDF, to about 1e-15 (Hart 1968, as given by G. West, "Better approximations to
 * cumulative normal functions", 2005). Each tail is computed directly, so Φ(-8) is 6.2e-16 and not 0.
 */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const x = Math.abs(z);
  let tail: number;
  if (x > 37) {
    tail = 0;
  } else if (x < 7.07106781186547) {
    tail = (Math.exp((-x * x) / 2) * horner(HART_NUM, x)) / horner(HART_DEN, x);
  } else {
    const e = Math.exp((-x * x) / 2);
    const cf = x + 1 / (x + 2 / (x + 3 / (x + 4 / (x + 0.65))));
    tail = e / cf / 2.506628274631;
  }
  return z > 0 ? 1 - tail : tail;
}

// Acklam's rational approximation of the normal quantile (relative error below 1.15e-9 before refinement),
// highest power first; the denominators' constant term is 1.
const ACKLAM_CENTRE_NUM = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const ACKLAM_CENTRE_DEN = [
  -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572, 1,
];
const ACKLAM_TAIL_NUM = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const ACKLAM_TAIL_DEN = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416, 1];
const ACKLAM_P_LOW = 0.02425;

/**
 * Φ⁻¹(p): Acklam's approximation refined by one Halley step against `normalCdf`, which brings it to about
 * 1e-15. `normalQuantile(0)` is -Infinity and `normalQuantile(1)` is Infinity.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`probability must be between 0 and 1, got ${p}`);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  let x: number;
  if (p < ACKLAM_P_LOW || p > 1 - ACKLAM_P_LOW) {
    const q = Math.sqrt(-2 * Math.log(Math.min(p, 1 - p)));
    const v = horner(ACKLAM_TAIL_NUM, q) / horner(ACKLAM_TAIL_DEN, q);
    x = p < ACKLAM_P_LOW ? v : -v;
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = (horner(ACKLAM_CENTRE_NUM, r) * q) / horner(ACKLAM_CENTRE_DEN, r);
  }
  // Halley step on e = Φ(x) − p; in the upper half Φ(x) is written 1 − Φ(−x) to use the smaller tail.
  const e = x > 0 ? 1 - p - normalCdf(-x) : normalCdf(x) - p;
  const u = e * SQRT_2PI * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

export interface Interval {
  lower: number;
  upper: number;
}

export interface WilsonOptions {
  /**
   * Newcombe's continuity-corrected interval: wider, and close to the exact (Clopper-Pearson) one for tiny
   * samples, where the plain Wilson interval is too narrow (1 error in 2 requests puts the plain one-sided 99%
   * bound at 7.3%, though a 5% rate gives that result one time in ten).
   */
  continuityCorrection?: boolean;
}

/**
 * The two-sided Wilson score interval of a rate `successes / n` at `confidence` (e.g. 0.95). Unlike the
 * textbook p̂ ± z·se it stays inside [0, 1] and is honest for rates near 0 (0 of 10 gives [0, 27.8%] at 95%,
 * not [0, 0]).
 */
export function wilsonInterval(
  successes: number,
  n: number,
  confidence: number,
  options: WilsonOptions = {},
): Interval {
  checkConfidence(confidence);
  return wilsonWithZ(successes, n, normalQuantile(1 - (1 - confidence) / 2), options);
}

/**
 * The one-sided Wilson lower bound at `confidence`: the rate is at least this with that confidence (the lower
 * end of the two-sided interval at 2·confidence − 1).
 */
export function wilsonLowerBound(
  successes: number,
  n: number,
  confidence: number,
  options: WilsonOptions = {},
): number {
  checkConfidence(confidence);
  return wilsonWithZ(successes, n, normalQuantile(confidence), options).lower;
}

function wilsonWithZ(successes: number, n: number, z: number, options: WilsonOptions): Interval {
  checkCount(successes, n);
  if (n === 0) return { lower: 0, upper: 1 };
  const p = successes / n;
  const z2 = z * z;
  let lower: number;
  let upper: number;
  if (options.continuityCorrection) {
    // Newcombe (1998), method 4.
    const scale = 2 * (n + z2);
    const rootLower = Math.sqrt(Math.max(0, z2 - 2 - 1 / n + 4 * p * (n * (1 - p) + 1)));
    const rootUpper = Math.sqrt(Math.max(0, z2 + 2 - 1 / n + 4 * p * (n * (1 - p) - 1)));
    lower = (2 * n * p + z2 - 1 - z * rootLower) / scale;
    upper = (2 * n * p + z2 + 1 + z * rootUpper) / scale;
  } else {
    const centre = p + z2 / (2 * n);
    const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
    lower = (centre - spread) / (1 + z2 / n);
    upper = (centre + spread) / (1 + z2 / n);
  }
  // At the edges the bound is exactly 0 or 1; the formulas round to a hair off.
  return {
    lower: successes === 0 ? 0 : clamp01(lower),
    upper: successes === n ? 1 : clamp01(upper),
  };
}

export interface TwoProportionInput {
  x1: number;
  n1: number;
  x2: number;
  n2: number;
  /** The difference p1 − p2 the alternative must exceed; 0 tests for any increase. Between -1 and 1. */
  margin: number;
  /**
   * Shrinks the observed difference by ½(1/n1 + 1/n2) toward the null (Yates-style): conservative, and much
   * closer to an exact test for the few-event samples that a young canary has.
   */
  continuityCorrection?: boolean;
}

export interface TestResult {
  z: number;
  /** One-sided p-value of the alternative. */
  pValue: number;
}

/**
 * Score test (Farrington-Manning) of H0: p1 − p2 ≤ margin against H1: p1 − p2 > margin.
 *
 * The variance is taken at the maximum-likelihood rates restricted to p1 − p2 = margin (Miettinen and
 * Nurminen's closed form), not at the observed rates as a Wald test does: with a stable at 0 errors in 5000
 * requests the Wald variance of the stable side is 0, which makes a handful of canary errors look far more
 * significant than they are. With margin 0 this is the classic pooled two-proportion z-test.
 */
export function twoProportionTest(input: TwoProportionInput): TestResult {
  const { x1, n1, x2, n2, margin } = input;
  checkCount(x1, n1);
  checkCount(x2, n2);
  if (n1 === 0 || n2 === 0) throw new RangeError('both samples need at least one observation');
  if (!(margin > -1 && margin < 1)) throw new RangeError(`margin must be between -1 and 1, got ${margin}`);
  const raw = x1 / n1 - x2 / n2 - margin;
  const correction = input.continuityCorrection ? (1 / n1 + 1 / n2) / 2 : 0;
  const observed = Math.sign(raw) * Math.max(0, Math.abs(raw) - correction);
  const [r1, r2] = restrictedRates(x1, n1, x2, n2, margin);
  const variance = (r1 * (1 - r1)) / n1 + (r2 * (1 - r2)) / n2;
  const z = variance > 0 ? observed / Math.sqrt(variance) : degenerateZ(observed);
  return { z, pValue: normalCdf(-z) };
}

/** The maximum-likelihood (p1, p2) under p1 − p2 = margin (Miettinen & Nurminen 1985, eq. 27–28). */
function restrictedRates(x1: number, n1: number, x2: number, n2: number, margin: number): [number, number] {
  const n = n1 + n2;
  const x = x1 + x2;
  if (margin === 0) return [x / n, x / n];
  const l3 = n;
  const l2 = (n1 + 2 * n2) * margin - n - x;
  const l1 = (n2 * margin - n - 2 * x2) * margin + x;
  const l0 = x2 * margin * (1 - margin);
  const q = l2 ** 3 / (3 * l3) ** 3 - (l1 * l2) / (6 * l3 * l3) + l0 / (2 * l3);
  const p = (q >= 0 ? 1 : -1) * Math.sqrt(Math.max(0, l2 ** 2 / (3 * l3) ** 2 - l1 / (3 * l3)));
  const cosArg = p === 0 ? 0 : Math.min(1, Math.max(-1, q / p ** 3));
  const a = (Math.PI + Math.acos(cosArg)) / 3;
  const p2 = clamp01(2 * p * Math.cos(a) - l2 / (3 * l3));
  return [clamp01(p2 + margin), p2];
}

export interface MannWhitneyResult extends TestResult {
  /** U of the first sample: pairs where it is slower, ties counting one half. */
  u: number;
  n1: number;
  n2: number;
  /** U / (n1·n2): the chance that a random value of the first sample is greater than one of the second. */
  probabilityGreater: number;
}

/**
 * Mann-Whitney U test of H1: sample `a` is stochastically greater (slower) than `b`, on two histograms with
 * the same buckets. Every bucket is a group of tied values ranked by the buckets' order, so only the
 * histogram's resolution limits what the test can see. Normal approximation with the tie correction of the
 * variance and a continuity correction of ½ (as scipy's `mannwhitneyu(method="asymptotic")`).
 *
 * With no variance at all (an empty sample, or every value in one bucket) there is no evidence: z = 0, p = 1.
 */
export function mannWhitneyFromHistograms(a: LatencyHistogram, b: LatencyHistogram): MannWhitneyResult {
  if (!sameBuckets(a, b)) throw new RangeError('the two histograms must have the same buckets');
  let n1 = 0;
  let n2 = 0;
  let u = 0;
  let tieSum = 0;
  for (let k = 0; k < a.counts.length; k++) {
    const ak = a.counts[k] as number;
    const bk = b.counts[k] as number;
    checkCount(ak, Number.POSITIVE_INFINITY);
    checkCount(bk, Number.POSITIVE_INFINITY);
    u += ak * (n2 + bk / 2);
    n1 += ak;
    n2 += bk;
    const t = ak + bk;
    tieSum += t * t * t - t;
  }
  const n = n1 + n2;
  const probabilityGreater = n1 > 0 && n2 > 0 ? u / (n1 * n2) : Number.NaN;
  const variance = n > 1 ? ((n1 * n2) / 12) * (n + 1 - tieSum / (n * (n - 1))) : 0;
  if (!(variance > 0)) return { u, n1, n2, probabilityGreater, z: 0, pValue: 1 };
  const z = (u - (n1 * n2) / 2 - 0.5) / Math.sqrt(variance);
  return { u, n1, n2, probabilityGreater, z, pValue: normalCdf(-z) };
}

/** Evaluates a polynomial given by its coefficients, highest power first. */
function horner(coefficients: readonly number[], x: number): number {
  let sum = 0;
  for (const c of coefficients) sum = sum * x + c;
  return sum;
}

function degenerateZ(observed: number): number {
  if (observed > 0) return Number.POSITIVE_INFINITY;
  if (observed < 0) return Number.NEGATIVE_INFINITY;
  return 0;
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

function checkCount(successes: number, n: number): void {
  if (!(Number.isFinite(successes) && successes >= 0 && successes <= n)) {
    throw new RangeError(`expected a count between 0 and ${n}, got ${successes}`);
  }
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be between 0 and 1, got ${confidence}`);
  }
}
