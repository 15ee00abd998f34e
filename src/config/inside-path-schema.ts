import { posix } from 'node:path';
import { z } from 'zod';
import { hasNulByte, NUL_MESSAGE } from './string-checks.js';

/**
 * A directory inside `base` (the directory of slipway.yml, the repository), written relative to it: not absolute
 * (`/` would pack the whole machine) and not climbing above it (`../..`). Pure: the path is only read, never
 * looked up on disk.
 */
export function checkInsidePath(text: string, base: string): string | undefined {
  if (hasNulByte(text)) return NUL_MESSAGE;
  if (posix.isAbsolute(text)) return `expected a path relative to ${base}, not an absolute one`;
  const normalized = posix.normalize(text);
  if (normalized === '..' || normalized.startsWith('../'))
    return `expected a path inside ${base}, not above it`;
  return undefined;
}

export function insidePathSchema(base: string): z.ZodString {
  return z.string().superRefine((text, ctx) => {
    const problem = checkInsidePath(text, base);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: text });
  });
}
