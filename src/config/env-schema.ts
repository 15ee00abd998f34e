import { z } from 'zod';
import { hasNulByte, NUL_MESSAGE } from './string-checks.js';

/**
 * Bounds of `env`: what a process environment can carry. Linux refuses an exec whose arguments and
 * environment exceed about 2 MiB in all (and any single string above 128 KiB), so a larger `env` only fails
 * when a target starts.
 */
export const ENV_LIMITS = {
  /** Bytes (UTF-8) of one value. */
  valueBytes: 32 * 1024,
  /** Characters of one name. */
  nameLength: 256,
  /** Names in one `env` mapping. */
  names: 1000,
  /** Bytes of the environment one target gets from slipway.yml (`env` with the environment's `env` over it). */
  totalBytes: 1024 * 1024,
} as const;

export const envNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
  .refine((name) => name.length <= ENV_LIMITS.nameLength, {
    error: (issue) =>
      `expected at most ${ENV_LIMITS.nameLength} characters, got ${String(issue.input).length}`,
  });

const envValue = z
  .union([z.string(), z.number(), z.boolean()])
  .transform(String)
  .pipe(
    z.string().superRefine((value, ctx) => {
      const problem = checkEnvValue(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: value });
    }),
  );

export const envMapSchema = z.record(envNameSchema, envValue).check(
  z.superRefine(
    (env: unknown, ctx) => {
      // Runs even when the value is no mapping at all; then the type error is the finding.
      if (typeof env !== 'object' || env === null || Array.isArray(env)) return;
      const count = Object.keys(env).length;
      if (count > ENV_LIMITS.names) {
        ctx.addIssue({
          code: 'custom',
          message: `expected at most ${ENV_LIMITS.names} variables, got ${count}`,
          input: env,
        });
      }
    },
    // Reported even when entries are wrong too: with 100 000 of them, the count is the finding that matters.
    { when: () => true },
  ),
);

/** What is wrong with one value, if anything. */
export function checkEnvValue(value: string): string | undefined {
  if (hasNulByte(value)) return NUL_MESSAGE;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > ENV_LIMITS.valueBytes)
    return `expected at most ${ENV_LIMITS.valueBytes} bytes (${ENV_LIMITS.valueBytes / 1024} KiB), got ${bytes} bytes`;
  return undefined;
}

/** Bytes the variables take in a process environment: `NAME=value` and a NUL each. */
export function envBytes(env: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(env))
    total += name.length + Buffer.byteLength(value, 'utf8') + 2;
  return total;
}
