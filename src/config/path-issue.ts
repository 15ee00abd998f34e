/**
 * A configuration problem before it has a place in the file: the key path as segments, and which part of
 * that key the line/column should point at. The schema check and the rules produce these; parse-config
 * turns them into ConfigIssues with file, line and column.
 */
export type KeyPath = readonly (string | number)[];

export interface PathIssue {
  path: KeyPath;
  message: string;
  /** `value`: the key's value (a wrong value); `key`: the key itself (an unknown or misnamed key, or the parent of a missing one). */
  at: 'key' | 'value';
}

/** Characters that would break a one-line message (NUL, newline, other controls, line separators). */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029]/u;

/**
 * `environments.production.strategy.keepWarm`; list items as `hosts[0]`; a key holding a control character
 * (a NUL, a newline) quoted as `env["A\u0000B"]`, so that the message stays one line and shows it.
 */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (UNPRINTABLE.test(segment)) out += `[${quoteKey(segment)}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** JSON quoting, plus the escapes JSON leaves out (DEL, C1 controls, line and paragraph separators). */
function quoteKey(key: string): string {
  return JSON.stringify(key).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
