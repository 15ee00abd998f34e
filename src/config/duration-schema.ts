import { z } from 'zod';
import { parseDurationMs } from '../core/duration.js';

/** A duration string such as "500ms", "30s", "5m". */
export const durationSchema = z
  .string()
  .refine((s) => parseDurationMs(s) !== undefined, {
    message: 'expected a duration like "5m", "30s" or "500ms"',
  })
  .describe('A duration: a number with a unit (ms, s, m, h, d), e.g. "500ms", "30s", "5m", "1m30s".');
