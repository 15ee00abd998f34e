import { z } from 'zod';
import { MAX_TIMER_MS, parseDurationMs } from '../core/duration.js';

/**
 * The longest delay a Node timer holds (2^31-1 ms, about 24.8 days): setTimeout fires at once past it, so a
 * `keepWarm: 30d` would stop the warm release right after the switch. Defined in core (the agent and the
 * executor wait in steps past it); the config's durations are bounded by it.
 */
export { MAX_TIMER_MS };
/** The longest span compared with clock readings (retention, certificate validity, approval age): 10 years. */
export const MAX_SPAN_MS = 3650 * 86_400_000;

export const DURATION_EXPECTED = 'a duration like "5m", "30s" or "500ms"';

export const DURATION_DESCRIPTION = `A duration: a number with a unit (ms, s, m, h, d), e.g. "500ms", "30s", "5m", "1m30s". Most are waited for with a timer and so hold at most ${formatMaxMs(MAX_TIMER_MS)} (2^31-1 ms); those only compared with the clock (retention, certificate validity, approval age and the like) hold at most ${formatMaxMs(MAX_SPAN_MS)}. A duration is above 0 unless its type says \`≥ 0\` (no wait, no grace period).`;

export interface DurationBounds {
  /** 0 means something here (no wait, no grace period, no minimum); elsewhere a duration must be above 0. */
  allowZero: boolean;
  maxMs: number;
}

export interface DurationOptions {
  allowZero?: boolean;
  /**
   * `timer` (default): waited for with setTimeout; `span`: only compared with clock readings; a number: a tighter
   * bound in milliseconds, for a key whose value something else caps (the edge's timeouts).
   */
  max?: 'timer' | 'span' | number;
}

/** Every duration schema with its bounds; zod's registry lets clones (`.describe()`) inherit them. */
const durations = z.registry<DurationBounds>();

/**
 * A duration string such as "500ms", "30s", "5m", bounded for the key it is used at: above 0 unless
 * `allowZero`, and at most what a timer (or, for `max: 'span'`, a date comparison) can hold. Every duration of
 * the schema comes from here, so no key can accept a value that only fails once it is waited for.
 */
export function duration(options: DurationOptions = {}): z.ZodString {
  const bounds: DurationBounds = {
    allowZero: options.allowZero ?? false,
    maxMs:
      typeof options.max === 'number' ? options.max : options.max === 'span' ? MAX_SPAN_MS : MAX_TIMER_MS,
  };
  const schema = z
    .string()
    .superRefine((text, ctx) => {
      const problem = checkDuration(text, bounds);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: text });
    })
    .describe(DURATION_DESCRIPTION);
  durations.add(schema, bounds);
  return schema;
}

/** The bounds of a schema made by `duration()` (or a clone of one), else undefined. */
export function durationBoundsOf(schema: z.core.$ZodType): DurationBounds | undefined {
  return durations.get(schema);
}

/** What is wrong with a duration for the given bounds, as `expected …` (the value is added by the caller). */
export function checkDuration(text: string, bounds: DurationBounds): string | undefined {
  const ms = parseDurationMs(text);
  if (ms === undefined) return `expected ${DURATION_EXPECTED}`;
  if (ms === 0 && !bounds.allowZero) return 'expected a duration above 0';
  if (ms > bounds.maxMs) {
    const why = bounds.maxMs === MAX_TIMER_MS ? ' (2^31-1 ms, the longest a timer can wait)' : '';
    return `expected at most ${formatMaxMs(bounds.maxMs)}${why}`;
  }
  return undefined;
}

/** `duration ≥ 0, ≤ 3650d`, for the type column of the reference. */
export function describeDurationBounds(bounds: DurationBounds): string {
  return `duration ${bounds.allowZero ? '≥ 0' : '> 0'}, ≤ ${formatMaxMs(bounds.maxMs)}`;
}

/** A bound written exactly, in the units a config uses: 2147483647 → `24d20h31m23s647ms`. */
export function formatMaxMs(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  let rest = ms;
  let out = '';
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) out += `${count}${unit}`;
  }
  return out === '' ? '0s' : out;
}
