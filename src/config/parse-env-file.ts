import type { ConfigIssue } from '../core/errors.js';

export interface ParsedEnvFile {
  values: Record<string, string>;
  issues: ConfigIssue[];
}

const LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

/**
 * A secrets file: `NAME=value` lines, `#` comment lines, blank lines, an optional `export ` prefix, and
 * values optionally in single quotes (taken as written) or double quotes (`\n`, `\"` and `\\` escapes).
 * In an unquoted value, ` #` starts a comment. A later line for the same name wins. Pure.
 */
export function parseEnvFile(text: string, file: string): ParsedEnvFile {
  const values: Record<string, string> = {};
  const issues: ConfigIssue[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = LINE.exec(line);
    const name = match?.[1];
    const value = name === undefined ? undefined : parseValue(match?.[2] ?? '');
    if (name === undefined || value === undefined) {
      issues.push({
        path: name ?? '',
        message: 'expected NAME=value (a name of letters, digits and _; quotes must be closed)',
        file,
        line: index + 1,
        column: 1,
      });
      return;
    }
    values[name] = value;
  });
  return { values, issues };
}

function parseValue(text: string): string | undefined {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const end = closingQuote(text, quote);
    if (end === -1 || !/^\s*(?:#.*)?$/.test(text.slice(end + 1))) return undefined;
    const inner = text.slice(1, end);
    return quote === "'" ? inner : inner.replace(/\\([n"\\])/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  const comment = text.search(/\s#/);
  return (comment === -1 ? text : text.slice(0, comment)).trim();
}

function closingQuote(text: string, quote: string): number {
  for (let i = 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}
