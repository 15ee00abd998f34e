import { parseDurationMs } from '../core/duration.js';
import { InputError } from '../core/errors.js';
import { parsePointInTime } from '../pipeline/zoned-time.js';

/**
 * `--at`: an absolute time ("2026-11-27T08:00:00Z", "2026-11-27T09:00:00+01:00"), a local one read in
 * `timeZone` ("2026-11-27 09:00"), or a delay from now ("+10m"). Pure: `nowMs` is passed in.
 */
export function parseAtOption(text: string, timeZone: string, nowMs: number): number {
  const trimmed = text.trim();
  if (trimmed.startsWith('+')) {
    const ms = parseDurationMs(trimmed.slice(1));
    if (ms !== undefined) return nowMs + ms;
  } else {
    const at = parsePointInTime(trimmed, timeZone);
    if (at !== undefined) return at;
  }
  throw new InputError(`--at "${text}" is not a time`, {
    hint: 'use e.g. --at 2026-11-27T08:00:00Z, --at "2026-11-27 09:00" --timezone Europe/Berlin, or --at +10m',
  });
}
