import type { z } from 'zod';
import type { analysisSchema } from '../config/canary-schema.js';
import { parseDurationMs } from '../core/duration.js';

/** The thresholds of the judge, with units resolved: counts, fractions (0.05 = 5%) and milliseconds. */
export interface AnalysisSpec {
  /** Requests (latency samples for latency rules) a version needs before a condition can pass. */
  minRequests: number;
  /** Confidence level of every statistical rule, e.g. 0.99. */
  confidence: number;
  maxErrorRate: number;
  errorRateTolerance: number;
  maxP99Ms?: number;
  latencyTolerance: number;
  /** The canary's median must also exceed stable's by this many milliseconds to fail. */
  latencyMinDifferenceMs?: number;
}

export type AnalysisConfig = z.output<typeof analysisSchema>;

/** The judge's spec from the validated `analysis` section of a canary strategy. */
export function deriveAnalysisSpec(config: AnalysisConfig): AnalysisSpec {
  const spec: AnalysisSpec = {
    minRequests: config.minRequests,
    confidence: config.confidence,
    maxErrorRate: config.maxErrorRate,
    errorRateTolerance: config.errorRateTolerance,
    latencyTolerance: config.latencyTolerance,
    latencyMinDifferenceMs: parseDurationMs(config.latencyMinDifference) ?? 0,
  };
  if (config.maxP99 !== undefined) {
    const ms = parseDurationMs(config.maxP99);
    // The schema has validated the duration already; this only guards against a config that skipped it.
    if (ms === undefined) throw new RangeError(`maxP99 is not a duration: ${config.maxP99}`);
    spec.maxP99Ms = ms;
  }
  return spec;
}
