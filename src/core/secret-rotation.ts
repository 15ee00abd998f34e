import type { SecretDiffEntry } from './secret-diff.js';

/** What `slipway secrets rotate` is asked, with what the sources give now against what runs. */
export interface RotationInput {
  environment: string;
  /** The release that serves, whose targets start again. */
  release: string;
  /** The secrets that release's targets read (its snapshot's `secrets` and the environment's). */
  releaseSecrets: readonly string[];
  /** Those secrets compared between the last deployment's fingerprints and the sources now (`secrets diff`). */
  diff: readonly SecretDiffEntry[];
  /** The names asked for; empty: every secret that changed. */
  asked: readonly string[];
  /** `--force`: start the targets again even where no value changed. */
  force: boolean;
}

export type RotationDecision =
  /** `secrets`: what the rotation is ledgered as rotating. */
  | { kind: 'rotate'; secrets: string[] }
  /** Nothing changed and nothing was forced: no deployment (not an error). */
  | { kind: 'nothing'; message: string }
  | { kind: 'refuse'; message: string; hint: string };

/**
 * Whether a rotation runs, and of which secrets. A target is given every secret's value as it is now, and a
 * rotation promises that nothing but the secrets it names changes, so:
 *
 * - a secret with no value now refuses it (the targets could not start);
 * - a named secret that is not one the release reads refuses it (it would reach no target);
 * - a named secret whose value is the one that runs refuses it unless forced (the restart would change nothing);
 * - a secret that changed but was not named refuses it (its new value would go live unasked);
 * - with no names, every secret that changed rotates, and none changed means nothing to do unless forced.
 *
 * "Changed" includes "added": a value the last deployment recorded no fingerprint of (it may differ). Pure.
 */
export function decideRotation(input: RotationInput): RotationDecision {
  const { environment, release } = input;
  const reads = new Set(input.releaseSecrets);
  if (reads.size === 0) {
    return {
      kind: 'refuse',
      message: `release ${release} reads no secrets in ${environment}; there is nothing to rotate`,
      hint: 'a secret is rotated by naming it under `secrets` in slipway.yml and creating a release',
    };
  }
  const unknown = input.asked.filter((name) => !reads.has(name));
  if (unknown.length > 0) {
    return {
      kind: 'refuse',
      message: `${list(unknown)} ${unknown.length > 1 ? 'are' : 'is'} not read by release ${release} in ${environment}; nothing was changed`,
      hint: `its secrets: ${list([...reads])} (a secret added to slipway.yml since reaches targets with a new release)`,
    };
  }
  const entries = input.diff.filter((e) => reads.has(e.name));
  const missing = entries.filter((e) => e.state === 'missing').map((e) => e.name);
  if (missing.length > 0) {
    return {
      kind: 'refuse',
      message: `${list(missing)} ha${missing.length > 1 ? 've' : 's'} no value now; nothing was changed`,
      hint: `"slipway secrets diff ${environment}" compares every secret; docs/secrets.md says where a value comes from`,
    };
  }
  const changed = entries.filter((e) => e.state === 'changed' || e.state === 'added').map((e) => e.name);
  if (input.asked.length === 0) {
    if (changed.length > 0) return { kind: 'rotate', secrets: changed };
    if (input.force) return { kind: 'rotate', secrets: [...reads].sort() };
    return {
      kind: 'nothing',
      message: `no secret of ${environment} changed since the last deployment; nothing to rotate (--force starts the targets again anyway)`,
    };
  }
  const asked = [...new Set(input.asked)].sort();
  const unchanged = asked.filter((name) => !changed.includes(name));
  if (unchanged.length > 0 && !input.force) {
    return {
      kind: 'refuse',
      message: `${list(unchanged)} ha${unchanged.length > 1 ? 've' : 's'} the value that runs (the same fingerprint); nothing was changed`,
      hint: 'change it at its source first, or add --force to start the targets again with the same value',
    };
  }
  const unasked = changed.filter((name) => !asked.includes(name));
  if (unasked.length > 0) {
    return {
      kind: 'refuse',
      message: `${list(unasked)} changed too: targets are given every secret's value as it is now, so ${unasked.length > 1 ? 'their new values' : 'its new value'} would go live as well; nothing was changed`,
      hint: `name ${unasked.length > 1 ? 'them' : 'it'} too (slipway secrets rotate ${environment} ${[...asked, ...unasked].join(' ')}), or rotate without names`,
    };
  }
  return { kind: 'rotate', secrets: asked };
}

function list(names: readonly string[]): string {
  return names.join(', ');
}
