import { describe, expect, it } from 'vitest';
import { analysisSchema } from '../config/canary-schema.js';
import { deriveAnalysisSpec } from './analysis-spec.js';

describe('deriveAnalysisSpec', () => {
  it('takes the defaults of the schema', () => {
    expect(deriveAnalysisSpec(analysisSchema.parse({}))).toEqual({
      minRequests: 50,
      confidence: 0.99,
      maxErrorRate: 0.05,
      errorRateTolerance: 0.01,
      latencyTolerance: 0.2,
      latencyMinDifferenceMs: 10,
    });
  });

  it('resolves percentages and the p99 duration', () => {
    const config = analysisSchema.parse({ maxErrorRate: '2%', latencyTolerance: '10%', maxP99: '1.5s' });
    expect(deriveAnalysisSpec(config)).toMatchObject({
      maxErrorRate: 0.02,
      latencyTolerance: 0.1,
      maxP99Ms: 1500,
    });
  });
});
