import type { SlipwayConfig } from '../config/schema.js';

export interface PipelinePosition {
  /** Index in `pipeline:`; null when the environment is not part of a pipeline. */
  index: number | null;
  previous: string | null;
  next: string | null;
  /** Whether a release that succeeded here goes on to `next` by itself. */
  promote: 'manual' | 'automatic';
}

/** Where an environment stands in the pipeline. Pure. */
export function derivePipelinePosition(config: SlipwayConfig, environment: string): PipelinePosition {
  const stages = config.pipeline;
  const index = stages.findIndex((s) => s.environment === environment);
  if (index < 0) return { index: null, previous: null, next: null, promote: 'manual' };
  return {
    index,
    previous: stages[index - 1]?.environment ?? null,
    next: stages[index + 1]?.environment ?? null,
    promote: stages[index]?.promote ?? 'manual',
  };
}
