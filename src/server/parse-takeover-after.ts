import { checkDuration, MAX_TIMER_MS } from '../config/duration-schema.js';
import { parseDurationMs } from '../core/duration.js';
import { InputError } from '../core/errors.js';

/** Below this, a replica would look dead between two of its own heartbeats. */
const MIN_TAKEOVER_AFTER_MS = 1000;

/**
 * `--takeover-after <duration>`: at least 1s, and at most what a timer holds (heartbeats are a third of it; a
 * longer one overflowed Node's timers, so a replica heartbeated without pause). Pure.
 */
export function parseTakeoverAfter(text: string): number {
  const problem = checkDuration(text, { allowZero: false, maxMs: MAX_TIMER_MS });
  const ms = parseDurationMs(text);
  if (problem !== undefined || ms === undefined || ms < MIN_TAKEOVER_AFTER_MS) {
    throw new InputError(
      `--takeover-after "${text}" is not a duration of 1s or more: ${problem ?? 'expected at least 1s'}`,
      { hint: 'e.g. --takeover-after 15s' },
    );
  }
  return ms;
}
