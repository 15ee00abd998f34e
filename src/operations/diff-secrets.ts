import { environmentConfig } from '../config/environment-config.js';
import { SlipwayError } from '../core/errors.js';
import { deriveSecretDiff, type SecretDiffEntry } from '../core/secret-diff.js';
import { parseSecretFingerprintRecord, SECRETS_FINGERPRINTED } from '../core/secret-fingerprint.js';
import type { ControlPlane } from '../control-plane/control-plane.js';

/** What `slipway secrets diff` found: per secret, and the deployment it compared with (null: none recorded). */
export interface SecretsDiff {
  environment: string;
  running: { deploymentId: string | null; release: string | null; atMs: number } | null;
  secrets: SecretDiffEntry[];
}

/**
 * Which of an environment's secrets differ between what runs (the fingerprints of its last `secrets.fingerprinted`
 * event) and what their sources give now: the names a deploy gives targets (`secrets` and the environment's), and
 * its database's URL secret, fetched now and fingerprinted with the same key. Values stay in memory, compared only
 * as keyed fingerprints; nothing is recorded. An unknown environment is bad input; a failing source command throws.
 */
export async function diffSecrets(cp: ControlPlane, environment: string): Promise<SecretsDiff> {
  const env = environmentConfig(cp.config, environment);
  if (!cp.fingerprintSecrets) {
    throw new SlipwayError('this control plane keeps no secret fingerprints to compare with');
  }
  const names = [
    ...new Set([
      ...cp.config.secrets,
      ...(env.secrets ?? []),
      ...(env.database?.urlSecret ? [env.database.urlSecret] : []),
    ]),
  ];
  const [last] = await cp.store.listEvents({
    app: cp.config.app,
    environment,
    kinds: [SECRETS_FINGERPRINTED],
    limit: 1,
  });
  const record = last ? parseSecretFingerprintRecord(last.data) : null;
  const secrets = await cp.loadSecrets(environment, names);
  const current = await cp.fingerprintSecrets(environment, secrets);
  return {
    environment,
    running:
      last && record
        ? { deploymentId: last.deploymentId ?? null, release: last.release ?? null, atMs: last.atMs }
        : null,
    secrets: deriveSecretDiff(names, current, record?.fingerprints ?? {}),
  };
}
