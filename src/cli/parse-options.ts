import { InputError } from '../core/errors.js';

/**
 * The CLI's whole-number options (`--port`, `--limit`, `--lines` …), parsed in one way: digits only, within a
 * range, else bad input (exit 2) naming the option, the value and the range. Each returns what commander takes as
 * an option's parser (`.option('--port <port>', '…', portOption('--port'), 8080)`), so a bad value is refused
 * while the command line is read, before a project is loaded or anything is started. Pure.
 */

export interface IntegerOptionRange {
  /** What the value is, in the message: "a port", "a number of events". */
  what: string;
  min: number;
  /** The largest value; none: any safe integer. */
  max?: number;
  /** How to write a good one, for the hint: "--port 8080". */
  example: string;
}

/** `text` as a whole number in the range, else an InputError that names the option and the range. */
export function parseIntegerOption(option: string, text: string, range: IntegerOptionRange): number {
  const digits = text.trim();
  const value = Number(digits);
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (/^\d+$/.test(digits) && Number.isSafeInteger(value) && value >= range.min && value <= max) return value;
  const expected = range.max === undefined ? `${range.min} or more` : `from ${range.min} to ${range.max}`;
  throw new InputError(`${option} "${text}" is not ${range.what}: expected a whole number ${expected}`, {
    hint: `e.g. ${range.example}`,
  });
}

/** A TCP port, 1–65535; with `allowZero`, 0 too (the system picks a free one). */
export function parsePortOption(option: string, text: string, opts: { allowZero?: boolean } = {}): number {
  return parseIntegerOption(option, text, {
    what: 'a port',
    min: opts.allowZero ? 0 : 1,
    max: 65535,
    example: opts.allowZero ? `${option} 8430, or ${option} 0 for a free one` : `${option} 8080`,
  });
}

/** Commander's parser for a port option. */
export function portOption(option: string, opts: { allowZero?: boolean } = {}): (text: string) => number {
  return (text) => parsePortOption(option, text, opts);
}

/** Commander's parser for a count (`--limit`, `--lines`): `min` or more. */
export function countOption(option: string, what: string, min: number): (text: string) => number {
  return (text) => parseIntegerOption(option, text, { what, min, example: `${option} ${Math.max(min, 10)}` });
}
