import { z } from 'zod';
import { hasNulByte, NUL_MESSAGE } from './string-checks.js';

const noNul = (text: string): boolean => !hasNulByte(text);

/**
 * A command Slipway runs on the control plane (a secret's source, a hook): a string runs through `sh -c` (pipes,
 * `$VARS`), a list is an argv run without a shell. Neither may hold a NUL byte; a list starts with a program name.
 */
export const controlPlaneCommandSchema = z.union([
  z.string().min(1).refine(noNul, { message: NUL_MESSAGE }),
  z
    .array(z.string().refine(noNul, { message: NUL_MESSAGE }))
    .min(1)
    .refine((argv) => argv[0] !== '', { message: 'expected a program name first' }),
]);
