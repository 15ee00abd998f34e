import { createHmac } from 'node:crypto';
import type { Secret } from './secret.js';

/** The ledger event a deployment records its secrets' fingerprints in (docs/secrets.md, "Which version ran"). */
export const SECRETS_FINGERPRINTED = 'secrets.fingerprinted';

/** Hex characters of a fingerprint kept: 128 bits, plenty to tell two values apart. */
const FINGERPRINT_HEX_CHARS = 32;

/** What a deployment's `secrets.fingerprinted` event carries: names and keyed fingerprints, never a value. */
export interface SecretFingerprintRecord {
  fingerprints: Record<string, string>;
  /** Against the environment's previous fingerprinted deployment; null for the first one. */
  changes: SecretChanges | null;
}

export interface SecretChanges {
  changed: string[];
  added: string[];
  removed: string[];
}

/**
 * Keyed fingerprints (HMAC-SHA256) of secret values, by name. The key never leaves the control plane, so a
 * fingerprint in the ledger tells nobody anything about a value: not even a guessed one can be checked against
 * it. App, environment and name are part of the input, so equal values of two secrets (or of one secret in two
 * environments) do not show as equal fingerprints.
 */
export function deriveSecretFingerprints(
  key: Uint8Array,
  scope: { app: string; environment: string },
  secrets: ReadonlyMap<string, Secret>,
): Record<string, string> {
  const fingerprints: Record<string, string> = {};
  for (const name of [...secrets.keys()].sort()) {
    const secret = secrets.get(name);
    if (secret === undefined) continue;
    fingerprints[name] = createHmac('sha256', key)
      .update(`slipway-secret-v1\u0000${scope.app}\u0000${scope.environment}\u0000${name}\u0000`)
      .update(secret.reveal(), 'utf8')
      .digest('hex')
      .slice(0, FINGERPRINT_HEX_CHARS);
  }
  return fingerprints;
}

/** Which secrets changed, appeared or went away between two deployments' fingerprints. Pure. */
export function deriveSecretChanges(
  previous: Readonly<Record<string, string>>,
  current: Readonly<Record<string, string>>,
): SecretChanges {
  const has = (record: Readonly<Record<string, string>>, name: string): boolean =>
    Object.hasOwn(record, name);
  const names = (record: Readonly<Record<string, string>>): string[] => Object.keys(record).sort();
  return {
    changed: names(current).filter((n) => has(previous, n) && previous[n] !== current[n]),
    added: names(current).filter((n) => !has(previous, n)),
    removed: names(previous).filter((n) => !has(current, n)),
  };
}

/** The ledger message: which secrets changed since the last successful deployment, in words; names only. */
export function describeSecretChanges(changes: SecretChanges | null, count: number): string {
  if (changes === null)
    return `${count} secret${count === 1 ? '' : 's'} fingerprinted; no earlier deployment to compare with`;
  const parts = [
    ...(changes.changed.length > 0 ? [`${changes.changed.join(', ')} changed`] : []),
    ...(changes.added.length > 0 ? [`${changes.added.join(', ')} new`] : []),
    ...(changes.removed.length > 0 ? [`${changes.removed.join(', ')} no longer used`] : []),
  ];
  return `${parts.length === 0 ? 'no secret changed' : parts.join('; ')} since the last successful deployment`;
}

/** A `secrets.fingerprinted` event's data, if it is one (the ledger's JSON is read back as unknown). */
export function parseSecretFingerprintRecord(data: unknown): SecretFingerprintRecord | null {
  if (typeof data !== 'object' || data === null) return null;
  const { fingerprints, changes } = data as Partial<SecretFingerprintRecord>;
  if (typeof fingerprints !== 'object' || fingerprints === null) return null;
  if (!Object.values(fingerprints).every((f) => typeof f === 'string')) return null;
  const list = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  return {
    fingerprints,
    changes:
      typeof changes === 'object' && changes !== null
        ? { changed: list(changes.changed), added: list(changes.added), removed: list(changes.removed) }
        : null,
  };
}
