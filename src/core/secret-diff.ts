/** How a secret compares between what runs (the last deployment's fingerprints) and what its source gives now. */
export type SecretDiffState = 'unchanged' | 'changed' | 'added' | 'removed' | 'missing';

export interface SecretDiffEntry {
  name: string;
  state: SecretDiffState;
}

/**
 * Per secret, sorted by name: the environment's secrets now (`names`), with their fingerprints now (`current`, a
 * name without a value is absent), against the fingerprints of the last deployment (`running`; empty when none
 * recorded any). `missing`: named, but no value now (whether or not it runs); `added`: a value now, none in what
 * runs; `removed`: runs, no longer named; otherwise `unchanged` or `changed`. Pure; sees fingerprints, never values.
 */
export function deriveSecretDiff(
  names: readonly string[],
  current: Readonly<Record<string, string>>,
  running: Readonly<Record<string, string>>,
): SecretDiffEntry[] {
  const named = new Set(names);
  const entries: SecretDiffEntry[] = [...named].map((name) => {
    if (!Object.hasOwn(current, name)) return { name, state: 'missing' };
    if (!Object.hasOwn(running, name)) return { name, state: 'added' };
    return { name, state: running[name] === current[name] ? 'unchanged' : 'changed' };
  });
  for (const name of Object.keys(running)) if (!named.has(name)) entries.push({ name, state: 'removed' });
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether anything differs (`slipway secrets diff` exits 1 then, like diff(1)). Pure. */
export function secretsDiffer(entries: readonly SecretDiffEntry[]): boolean {
  return entries.some((e) => e.state !== 'unchanged');
}

/** The text output: a line per secret, `  <state>  <name>`, names and states only. Pure. */
export function describeSecretDiff(entries: readonly SecretDiffEntry[]): string {
  if (entries.length === 0) return 'no secrets named, none in what runs\n';
  const width = Math.max(...entries.map((e) => e.state.length));
  return entries.map((e) => `  ${e.state.padEnd(width)}  ${e.name}\n`).join('');
}
