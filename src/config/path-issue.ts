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

/** `environments.production.strategy.keepWarm`; list items as `hosts[0]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}
