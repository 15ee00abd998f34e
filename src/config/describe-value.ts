import { z } from 'zod';
import { DURATION_EXPECTED, durationBoundsOf } from './duration-schema.js';

/**
 * Words for what a schema accepts and what the file holds, so that messages read
 * `expected an integer from 1 to 65535, got "eighty"` rather than zod's `expected number, received string`.
 */
type Schema = z.core.$ZodType;

/** A phrase naming what the schema accepts: `an integer from 1 to 65535`, `one of "recreate", "blue-green"`. */
export function describeExpected(schema: Schema): string {
  const inner = unwrapSchema(schema);
  if (durationBoundsOf(inner)) return DURATION_EXPECTED;
  if (inner instanceof z.ZodNumber) return describeNumber(inner);
  if (inner instanceof z.ZodBoolean) return 'true or false';
  if (inner instanceof z.ZodLiteral) return oneOf([...inner.values]);
  if (inner instanceof z.ZodEnum) return oneOf(Object.values(inner.enum));
  if (inner instanceof z.ZodDiscriminatedUnion) {
    return `a mapping with ${inner.def.discriminator}: ${orList(discriminatorValues(inner).map(quote))}`;
  }
  if (inner instanceof z.ZodUnion) {
    // Literals name themselves ("local"); other options get an article ("a mapping").
    const parts = inner.options.map((o) => {
      const option = unwrapSchema(o);
      return option instanceof z.ZodLiteral ? oneOf([...option.values]) : `a ${noun(o)}`;
    });
    return orList(parts);
  }
  return `a ${noun(inner)}`;
}

/** A short phrase for a value found in the file: `"eighty"`, `42`, `a mapping`, `an empty value`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return quote(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty mapping' : 'a mapping';
  return typeof value;
}

/** `"local"` for one value, `one of "recreate", "blue-green"` for several. */
export function oneOf(values: readonly unknown[]): string {
  const quoted = values.map((v) => (typeof v === 'string' ? quote(v) : String(v)));
  return quoted.length === 1 ? (quoted[0] ?? '') : `one of ${quoted.join(', ')}`;
}

/** The values of a discriminated union's discriminator, in option order: `["recreate", "blue-green"]`. */
export function discriminatorValues(union: z.ZodDiscriminatedUnion): string[] {
  return union.options.flatMap((option) => literalValuesAt(option, union.def.discriminator));
}

/** The literal values an object option fixes for `key` (its `kind`), or none. */
export function literalValuesAt(option: Schema, key: string): string[] {
  const field = option instanceof z.ZodObject ? (option.shape as Record<string, Schema>)[key] : undefined;
  return field instanceof z.ZodLiteral ? [...field.values].map(String) : [];
}

/** The schema under default/optional/nullable/pipe wrappers: the one that says what a value must be. */
export function unwrapSchema(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.ZodDefault ||
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable
    ) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      current = current.in;
    } else {
      return current;
    }
  }
}

/** Integer bounds as zod stores them when none were given. */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

export function numberBounds(schema: z.ZodNumber): { min?: number; max?: number } {
  const min = schema.minValue;
  const max = schema.maxValue;
  return {
    ...(min !== null && Number.isFinite(min) && Math.abs(min) < UNBOUNDED ? { min } : {}),
    ...(max !== null && Number.isFinite(max) && Math.abs(max) < UNBOUNDED ? { max } : {}),
  };
}

function describeNumber(schema: z.ZodNumber): string {
  const kind = schema.isInt ? 'an integer' : 'a number';
  const { min, max } = numberBounds(schema);
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min !== undefined) return `${kind} of at least ${min}`;
  if (max !== undefined) return `${kind} of at most ${max}`;
  return kind;
}

function noun(schema: Schema): string {
  const inner = unwrapSchema(schema);
  if (durationBoundsOf(inner)) return 'duration';
  if (inner instanceof z.ZodString) return 'string';
  if (inner instanceof z.ZodNumber) return inner.isInt ? 'integer' : 'number';
  if (inner instanceof z.ZodBoolean) return 'boolean';
  if (inner instanceof z.ZodArray) return 'list';
  if (inner instanceof z.ZodObject || inner instanceof z.ZodRecord) return 'mapping';
  if (inner instanceof z.ZodLiteral) return oneOf([...inner.values]);
  return 'value';
}

function orList(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1] ?? ''}`;
}

function quote(text: string): string {
  return JSON.stringify(text);
}
