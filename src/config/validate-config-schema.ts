import { z } from 'zod';
import { describeExpected, describeValue, oneOf } from './describe-value.js';
import { formatKeyPath, type KeyPath, type PathIssue } from './path-issue.js';
import { configSchema, type SlipwayConfig } from './schema.js';
import { suggestClosest } from './suggest-key.js';

export type SchemaCheckResult = { config: SlipwayConfig } | { issues: PathIssue[] };

/**
 * Checks plain data (the YAML as JS) against the schema and fills in defaults. Every zod issue becomes a
 * PathIssue with a message a person can act on; unknown keys become one issue per key, pointing at the key,
 * and missing keys point at the mapping that should hold them.
 */
export function validateConfigSchema(data: unknown): SchemaCheckResult {
  // The error map is the only place that sees the failing schema; the allowed keys of an object with
  // unknown keys are kept here for the per-key messages built afterwards.
  const allowedKeysAt = new Map<string, string[]>();
  const result = configSchema.safeParse(data, {
    reportInput: true,
    error: (issue) => messageFor(issue, allowedKeysAt),
  });
  if (result.success) return { config: result.data };
  return { issues: result.error.issues.flatMap((issue) => toPathIssues(issue, allowedKeysAt)) };
}

type RawIssue = z.core.$ZodRawIssue;
type Issue = z.core.$ZodIssue;

function messageFor(issue: RawIssue, allowedKeysAt: Map<string, string[]>): string | undefined {
  const path = toKeyPath(issue.path ?? []);
  const schema = issue.schema ?? (issue.inst instanceof z.ZodType ? issue.inst : undefined);
  const got = describeValue(issue.input);
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined)
        return `missing required key ${JSON.stringify(String(path.at(-1) ?? ''))}`;
      return schema ? `expected ${describeExpected(schema)}, got ${got}` : undefined;
    case 'too_small':
    case 'too_big':
      return sizeMessage(issue, schema, got);
    case 'invalid_format':
      if (issue.format === 'starts_with')
        return `expected a string starting with ${JSON.stringify(issue.prefix)}, got ${got}`;
      if (issue.format === 'regex') return `expected a string matching ${String(issue.pattern)}, got ${got}`;
      return `expected a valid ${issue.format}, got ${got}`;
    case 'invalid_value':
      return `expected ${oneOf(issue.values)}, got ${got}`;
    case 'invalid_union':
      if (typeof issue.discriminator === 'string')
        return discriminatorMessage(
          issue.discriminator,
          Array.isArray(issue.options) ? issue.options : [],
          issue.input,
        );
      return schema ? `expected ${describeExpected(schema)}, got ${got}` : undefined;
    case 'invalid_key':
      return `invalid key ${got}: ${issue.issues.map((i) => i.message).join('; ')}`;
    case 'unrecognized_keys':
      if (issue.inst instanceof z.ZodObject)
        allowedKeysAt.set(formatKeyPath(path), Object.keys(issue.inst.shape));
      return `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return undefined;
  }
}

function sizeMessage(
  issue: Extract<RawIssue, { code: 'too_small' | 'too_big' }>,
  schema: z.core.$ZodType | undefined,
  got: string,
): string | undefined {
  const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
  switch (issue.origin) {
    case 'string':
      if (issue.code === 'too_small' && bound === 1) return 'must not be empty';
      return `expected ${issue.code === 'too_small' ? 'at least' : 'at most'} ${bound} characters, got ${got}`;
    case 'array':
      return `expected ${issue.code === 'too_small' ? 'at least' : 'at most'} ${bound} ${bound === 1 ? 'item' : 'items'}, got ${got}`;
    default:
      return schema ? `expected ${describeExpected(schema)}, got ${got}` : undefined;
  }
}

function discriminatorMessage(key: string, allowed: readonly unknown[], input: unknown): string {
  const value = isRecord(input) ? input[key] : undefined;
  if (value === undefined) return `missing required key ${JSON.stringify(key)} (${oneOf(allowed)})`;
  const suggestion = typeof value === 'string' ? suggestClosest(value, allowed.map(String)) : undefined;
  return `expected ${oneOf(allowed)}, got ${describeValue(value)}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''}`;
}

function toPathIssues(issue: Issue, allowedKeysAt: Map<string, string[]>): PathIssue[] {
  const path = toKeyPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt.get(formatKeyPath(path)) ?? [];
      return issue.keys.map((key) => ({
        path: [...path, key],
        at: 'key',
        message: unknownKeyMessage(key, allowed),
      }));
    }
    case 'invalid_key':
      return [{ path, at: 'key', message: issue.message }];
    case 'invalid_type':
      // A missing key has no place of its own in the file; the mapping that lacks it does.
      if (issue.input === undefined) return [{ path: path.slice(0, -1), at: 'key', message: issue.message }];
      break;
    case 'invalid_union':
      if (
        issue.discriminator !== undefined &&
        isRecord(issue.input) &&
        issue.input[issue.discriminator] === undefined
      ) {
        return [{ path: path.slice(0, -1), at: 'key', message: issue.message }];
      }
      break;
    case 'custom':
    case 'invalid_format':
      // Messages written in the schema (`expected a duration like …`) say what is wanted, not what was found.
      if (isScalar(issue.input) && !issue.message.includes(', got ')) {
        return [{ path, at: 'value', message: `${issue.message}, got ${describeValue(issue.input)}` }];
      }
      break;
    default:
      break;
  }
  return [{ path, at: 'value', message: issue.message }];
}

function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const suggestion = suggestClosest(key, allowed);
  if (suggestion !== undefined)
    return `unknown key ${JSON.stringify(key)} (did you mean ${JSON.stringify(suggestion)}?)`;
  return allowed.length > 0
    ? `unknown key ${JSON.stringify(key)} (allowed keys: ${allowed.join(', ')})`
    : `unknown key ${JSON.stringify(key)}`;
}

function toKeyPath(path: readonly PropertyKey[]): KeyPath {
  return path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}
