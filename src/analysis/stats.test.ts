import { describe, expect, it } from 'vitest';
import {
  mannWhitneyFromHistograms,
  normalCdf,
  normalQuantile,
  twoProportionTest,
  wilsonInterval,
  wilsonLowerBound,
} from './stats.js';

// Reference values from scipy 1.17 (norm.cdf, norm.ppf, mannwhitneyu(method="asymptotic")) and, for the
// score test, from a numerical maximisation of the restricted likelihood.

describe('normalCdf', () => {
  it.each([
    [0, 0.5],
    [1, 0.8413447460685429],
    [-1.96, 0.024997895148220435],
    [3, 0.9986501019683699],
    [-3, 0.0013498980316300946],
  ])('Φ(%s) = %s', (z, p) => expect(normalCdf(z)).toBeCloseTo(p, 12));

  it('keeps the precision of a far tail', () => {
    expect(normalCdf(-8) / 6.22096057427174e-16).toBeCloseTo(1, 6);
    expect(normalCdf(-40)).toBe(0);
    expect(normalCdf(40)).toBe(1);
  });
});

describe('normalQuantile', () => {
  it.each([
    [0.975, 1.959963984540054],
    [0.99, 2.3263478740408408],
    [0.995, 2.5758293035489004],
    [0.5, 0],
    [0.001, -3.090232306167813],
    [0.3, -0.5244005127080407],
    [1e-10, -6.361340902404056],
  ])('Φ⁻¹(%s) = %s', (p, z) => expect(normalQuantile(p)).toBeCloseTo(z, 9));

  it('inverts normalCdf across both tails', () => {
    for (const p of [1e-12, 1e-6, 0.01, 0.02425, 0.2, 0.5, 0.7, 0.97575, 0.999]) {
      expect(normalCdf(normalQuantile(p)) / p).toBeCloseTo(1, 9);
    }
  });

  it('is infinite at 0 and 1 and refuses probabilities outside [0, 1]', () => {
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(() => normalQuantile(1.5)).toThrow(RangeError);
    expect(() => normalQuantile(Number.NaN)).toThrow(RangeError);
  });
});

describe('wilsonInterval', () => {
  it.each([
    // successes, n, confidence, lower, upper
    [0, 10, 0.95, 0, 0.2775327998628892],
    [5, 10, 0.95, 0.236593090512564, 0.763406909487436],
    [10, 10, 0.95, 0.7224672001371108, 1],
    [1, 100, 0.99, 0.0011751454265, 0.079801128535],
  ])('%d of %d at %s → [%s, %s]', (x, n, confidence, lower, upper) => {
    const interval = wilsonInterval(x, n, confidence);
    expect(interval.lower).toBeCloseTo(lower, 6);
    expect(interval.upper).toBeCloseTo(upper, 6);
  });

  it('knows nothing about a rate without observations', () => {
    expect(wilsonInterval(0, 0, 0.95)).toEqual({ lower: 0, upper: 1 });
  });

  it('refuses impossible counts and confidences', () => {
    expect(() => wilsonInterval(11, 10, 0.95)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 10, 0.95)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 10, 1)).toThrow(RangeError);
  });
});

describe('wilsonInterval with continuity correction', () => {
  it.each([
    // scipy binomtest(x, n).proportion_ci(confidence, "wilsoncc")
    [0, 10, 0.95, 0, 0.3445372183069226],
    [5, 10, 0.95, 0.20142296959860723, 0.7985770304013928],
    [10, 10, 0.95, 0.6554627816930775, 1],
    [1, 1, 0.98, 0.04064179209180041, 1],
    [1, 2, 0.98, 0.019955339759903934, 0.9800446602400961],
    [8, 30, 0.98, 0.11467052585357798, 0.4956909814690734],
  ])('%d of %d at %s → [%s, %s]', (x, n, confidence, lower, upper) => {
    const interval = wilsonInterval(x, n, confidence, { continuityCorrection: true });
    expect(interval.lower).toBeCloseTo(lower, 9);
    expect(interval.upper).toBeCloseTo(upper, 9);
  });

  it('is wider than the plain interval', () => {
    const plain = wilsonInterval(3, 40, 0.9);
    const corrected = wilsonInterval(3, 40, 0.9, { continuityCorrection: true });
    expect(corrected.lower).toBeLessThan(plain.lower);
    expect(corrected.upper).toBeGreaterThan(plain.upper);
  });
});

describe('wilsonLowerBound', () => {
  it('is the one-sided bound: the lower end of the two-sided interval at 2c − 1', () => {
    expect(wilsonLowerBound(19, 96, 0.99)).toBeCloseTo(0.1206, 4);
    expect(wilsonLowerBound(19, 96, 0.99)).toBeCloseTo(wilsonInterval(19, 96, 0.98).lower, 12);
    expect(wilsonLowerBound(0, 30, 0.99)).toBe(0);
  });

  it('does not call 1 error in 2 requests a rate above 5% with the continuity correction', () => {
    expect(wilsonLowerBound(1, 2, 0.99)).toBeGreaterThan(0.05);
    expect(wilsonLowerBound(1, 2, 0.99, { continuityCorrection: true })).toBeLessThan(0.05);
  });
});

describe('twoProportionTest', () => {
  it.each([
    // x1, n1, x2, n2, margin, z, p
    [10, 200, 20, 2000, 0.01, 2.846381, 0.0022109624],
    [3, 100, 0, 5000, 0.01, 2.0100756, 0.0222115924],
    [0, 100, 5, 1000, 0.02, -1.6009015, 0.9453006278],
    [30, 100, 20, 100, -0.05, 2.4379463, 0.0073854839],
  ])('%d/%d vs %d/%d with margin %s → z %s', (x1, n1, x2, n2, margin, z, p) => {
    const result = twoProportionTest({ x1, n1, x2, n2, margin });
    expect(result.z).toBeCloseTo(z, 6);
    expect(result.pValue).toBeCloseTo(p, 8);
  });

  it('shrinks the difference by ½(1/n1 + 1/n2) with the continuity correction', () => {
    // 2 errors in 20 canary requests vs 5 in 1000: z 3.06 uncorrected, 2.14 corrected (exact p ≈ 0.036).
    const plain = twoProportionTest({ x1: 2, n1: 20, x2: 5, n2: 1000, margin: 0.01 });
    const corrected = twoProportionTest({
      x1: 2,
      n1: 20,
      x2: 5,
      n2: 1000,
      margin: 0.01,
      continuityCorrection: true,
    });
    expect(plain.z).toBeCloseTo(3.0552, 3);
    expect(corrected.z).toBeCloseTo(plain.z * ((0.1 - 0.005 - 0.01 - 0.0255) / (0.1 - 0.005 - 0.01)), 9);
    expect(twoProportionTest({ x1: 1, n1: 50, x2: 0, n2: 50, margin: 0, continuityCorrection: true }).z).toBe(
      0,
    );
  });

  it('is the pooled z-test when the margin is 0', () => {
    const result = twoProportionTest({ x1: 10, n1: 200, x2: 20, n2: 2000, margin: 0 });
    expect(result.z).toBeCloseTo(4.650619766107456, 9);
    expect(result.pValue).toBeCloseTo(1.6546949534e-6, 14);
  });

  it('sees no difference between two samples without events', () => {
    expect(twoProportionTest({ x1: 0, n1: 100, x2: 0, n2: 100, margin: 0 })).toEqual({ z: 0, pValue: 0.5 });
    expect(twoProportionTest({ x1: 0, n1: 100, x2: 0, n2: 100, margin: 0.01 }).pValue).toBeGreaterThan(0.5);
  });

  it('refuses empty samples and impossible margins', () => {
    expect(() => twoProportionTest({ x1: 0, n1: 0, x2: 0, n2: 10, margin: 0 })).toThrow(RangeError);
    expect(() => twoProportionTest({ x1: 0, n1: 10, x2: 0, n2: 10, margin: 1 })).toThrow(RangeError);
  });
});

describe('mannWhitneyFromHistograms', () => {
  const h = (...counts: number[]) => ({ boundsMs: counts.slice(1).map((_, i) => (i + 1) * 10), counts });

  it('matches the rank-sum test on distinct values (one value per bucket)', () => {
    // a = {1, 3}, b = {0, 2}: a beats b in 3 of 4 pairs.
    const result = mannWhitneyFromHistograms(h(0, 1, 0, 1), h(1, 0, 1, 0));
    expect(result).toMatchObject({ u: 3, n1: 2, n2: 2, probabilityGreater: 0.75 });
    expect(result.z).toBeCloseTo(0.3872983346, 9); // (3 − 2 − ½) / √(4·5/12)
    expect(result.pValue).toBeCloseTo(0.3492676792, 9);
  });

  it('treats each bucket as a group of ties', () => {
    // a = {0, 1,1, 2,2,2}, b = {0,0,0, 1,1, 2}: U = 1·1.5 + 2·4 + 3·5.5 = 26; ties t = 4, 4, 4.
    const result = mannWhitneyFromHistograms(h(1, 2, 3), h(3, 2, 1));
    expect(result.u).toBe(26);
    expect(result.z).toBeCloseTo(1.2693810007, 9);
    expect(result.pValue).toBeCloseTo(0.1021526046, 9);
  });

  it('is symmetric: the reverse question gets U = n1·n2 − U', () => {
    const forward = mannWhitneyFromHistograms(h(1, 2, 3), h(3, 2, 1));
    const reverse = mannWhitneyFromHistograms(h(3, 2, 1), h(1, 2, 3));
    expect(reverse.u).toBe(36 - forward.u);
    expect(reverse.pValue).toBeGreaterThan(0.5);
  });

  it('finds no evidence when everything sits in one bucket or a sample is empty', () => {
    expect(mannWhitneyFromHistograms(h(0, 5, 0), h(0, 7, 0))).toMatchObject({ u: 17.5, z: 0, pValue: 1 });
    expect(mannWhitneyFromHistograms(h(0, 0, 0), h(0, 7, 0))).toMatchObject({ u: 0, z: 0, pValue: 1 });
  });

  it('refuses histograms with different buckets', () => {
    expect(() =>
      mannWhitneyFromHistograms({ boundsMs: [10], counts: [1, 1] }, { boundsMs: [20], counts: [1, 1] }),
    ).toThrow(RangeError);
  });
});
