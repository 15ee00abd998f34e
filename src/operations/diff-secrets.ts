import { environmentConfig } from '../config/environment-config.js';
import { SlipwayError } from '../core/errors.js';
import { deriveSecretDiff, type SecretDiffEntry } from '../core/secret-diff.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { readRunningFingerprints } from '../executor/record-secret-fingerprints.js';

/** What `slipway secrets diff` found: per secret, and the deployment it compared with (null: none recorded). */
export interface SecretsDiff {
  environment: string;
  running: { deploymentId: string | null; release: string | null; atMs: number } | null;
  secrets: SecretDiffEntry[];
}

/**
 * Which of an environment's secrets differ between what runs (the fingerprints of its last deployment that succeeded,
 * `readRunningFingerprints`) and what their sources give now: the names a deploy gives targets (`secrets` and the environment's), and
 * its database's URL secret, fetched now and fingerprinted with the same key. Values stay in memory, compared only
 * as keyed fingerprints; nothing is recorded. An unknown environment is bad input; a failing source command throws.
 * `only`: compare these names instead (a rotation compares what its release reads); others in what runs are left
 * out rather than called removed.
 */
export async function diffSecrets(
  cp: ControlPlane,
  environment: string,
  only?: readonly string[],
): Promise<SecretsDiff> {
  const env = environmentConfig(cp.config, environment);
  if (!cp.fingerprintSecrets) {
    throw new SlipwayError('this control plane keeps no secret fingerprints to compare with');
  }
  const names = [
    ...new Set(
      only ?? [
        ...cp.config.secrets,
        ...(env.secrets ?? []),
        ...(env.database?.urlSecret ? [env.database.urlSecret] : []),
      ],
    ),
  ];
  const running = await readRunningFingerprints(cp.store, cp.config.app, environment);
  const last = running?.event;
  const record = running?.record ?? null;
  const secrets = await cp.loadSecrets(environment, names);
  const current = await cp.fingerprintSecrets(environment, secrets);
  return {
    environment,
    running:
      last && record
        ? { deploymentId: last.deploymentId ?? null, release: last.release ?? null, atMs: last.atMs }
        : null,
    secrets: deriveSecretDiff(names, current, record?.fingerprints ?? {}).filter(
      (entry) => only === undefined || names.includes(entry.name),
    ),
  };
}
