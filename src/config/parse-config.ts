import { LineCounter, parseDocument, visit, type Alias, type Document, type YAMLError } from 'yaml';
import type { ConfigIssue } from '../core/errors.js';
import { findDuplicateKeys } from './find-duplicate-keys.js';
import { locateInYaml, positionAtOffset } from './locate-in-yaml.js';
import { formatKeyPath, type PathIssue } from './path-issue.js';
import { configSchema, type SlipwayConfig } from './schema.js';
import { validateConfigRules } from './validate-config-rules.js';
import { validateConfigSchema } from './validate-config-schema.js';

/** Top-level keys without a default, for the empty-file message. */
const REQUIRED_KEYS = Object.entries(configSchema.shape)
  .filter(([, schema]) => !schema.safeParse(undefined).success)
  .map(([key]) => key);

export type ParseConfigResult = { config: SlipwayConfig } | { issues: ConfigIssue[] };

/**
 * slipway.yml text → a validated config with defaults filled in, or every problem found, each with its key
 * path and its line and column in the file. Pure: `file` is only used to label the issues.
 *
 * Stages: YAML syntax → schema (types, unknown and missing keys, defaults) → rules across keys.
 * A stage runs only when the one before found nothing, since its findings would be noise.
 */
export function parseConfig(text: string, file: string): ParseConfigResult {
  const source = readYamlSource(text, file);
  if ('issues' in source) return source;
  const { doc, lineCounter, data } = source;

  const checked = validateConfigSchema(data);
  if ('issues' in checked) return { issues: locateIssues(checked.issues, doc, lineCounter, file) };
  const ruleIssues = validateConfigRules(checked.config);
  if (ruleIssues.length > 0) return { issues: locateIssues(ruleIssues, doc, lineCounter, file) };
  return { config: checked.config };
}

type YamlSource = { doc: Document; lineCounter: LineCounter; data: unknown } | { issues: ConfigIssue[] };

/** The YAML stage: syntax, anchors, and a document that is more than comments. */
function readYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  // yaml's duplicate-key check is quadratic in the keys of a mapping; findDuplicateKeys does it in one pass.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: false });
  const at = (offset: number) => ({ file, ...positionAtOffset(lineCounter, offset) });

  // Warnings count too (an unknown `!tag` is one): a file Slipway reads differently than meant is an error.
  const errors = [...doc.errors, ...findDuplicateKeys(doc)].sort((a, b) => a.pos[0] - b.pos[0]);
  const problems = [...errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      issues: problems.map((p) => ({
        path: '',
        message: `invalid YAML: ${describeYamlProblem(p, text)}`,
        ...at(p.pos[0]),
      })),
    };
  }
  const unknownAliases = findUnknownAliases(doc);
  if (unknownAliases.length > 0) {
    return {
      issues: unknownAliases.map((alias) => ({
        path: '',
        message: `invalid YAML: alias *${alias.source} refers to no anchor &${alias.source} defined above it`,
        ...at(alias.range?.[0] ?? 0),
      })),
    };
  }
  const data = toPlainData(doc);
  if ('error' in data) return { issues: [{ path: '', message: data.error, file }] };
  if (data.value === null || data.value === undefined) {
    const needed = andList(REQUIRED_KEYS.map((k) => `"${k}"`));
    return {
      issues: [
        {
          path: '',
          message: `the file is empty; it needs at least ${needed} (run "slipway init" for a commented starter file)`,
          ...at(0),
        },
      ],
    };
  }
  return { doc, lineCounter, data: data.value };
}

function describeYamlProblem(problem: YAMLError, text: string): string {
  switch (problem.code) {
    case 'DUPLICATE_KEY': {
      const key = /^[^:\n]*/
        .exec(text.slice(problem.pos[0]))?.[0]
        .trim()
        .replace(/^(["'])(.*)\1$/, '$2');
      return key ? `duplicate key "${key}"` : 'duplicate key';
    }
    case 'MULTIPLE_DOCS':
      return 'the file must hold a single YAML document; remove the "---" that starts a second one';
    case 'BLOCK_AS_IMPLICIT_KEY': {
      const quoted = quoteValueWithColon(text, problem.pos[0]);
      return quoted
        ? `${problem.message} (YAML reads ": " in an unquoted value as the start of another key); quote the value: ${quoted}`
        : problem.message;
    }
    default:
      return problem.message;
  }
}

/**
 * `key: value with: a colon` (where YAML saw a nested mapping) → `key: 'value with: a colon'`, the line as it
 * should be written; null when the line is not `key: value` with the value starting at `offset`. Single quotes,
 * since within them only a quote needs escaping (doubled).
 */
function quoteValueWithColon(text: string, offset: number): string | null {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  const before = text.slice(lineStart, offset);
  const key = /^\s*(?:- +)?([^\s:#'"][^:#]*?|"[^"]*"|'[^']*'):\s+$/.exec(before)?.[1];
  if (key === undefined) return null;
  // A plain value ends where a comment starts.
  const value = text
    .slice(offset, lineEnd === -1 ? undefined : lineEnd)
    .replace(/\s+#.*$/, '')
    .trimEnd();
  if (!/:(\s|$)/.test(value)) return null;
  return `${key}: '${value.replaceAll("'", "''")}'`;
}

function findUnknownAliases(doc: Document): Alias[] {
  const unknown: Alias[] = [];
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) === undefined) unknown.push(alias);
    },
  });
  return unknown;
}

function toPlainData(doc: Document): { value: unknown } | { error: string } {
  try {
    return { value: doc.toJS() };
  } catch (error) {
    // e.g. an alias that expands too often ("billion laughs")
    return { error: `invalid YAML: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function locateIssues(
  issues: PathIssue[],
  doc: Document,
  lineCounter: LineCounter,
  file: string,
): ConfigIssue[] {
  return issues
    .map((issue) => ({
      path: formatKeyPath(issue.path),
      message: issue.message,
      file,
      ...locateInYaml(doc, lineCounter, issue.path, issue.at),
    }))
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

function andList(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}
