import type { Secret } from '../core/secret.js';
import {
  deriveSecretChanges,
  describeSecretChanges,
  parseSecretFingerprintRecord,
  SECRETS_FINGERPRINTED,
  type SecretFingerprintRecord,
} from '../core/secret-fingerprint.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { Plan } from '../plan/steps.js';

/**
 * Records which version of each secret a deployment runs with: a `secrets.fingerprinted` event with a keyed
 * fingerprint per secret (never a value) and what changed since the environment's previous fingerprinted
 * deployment, said in its message (so `slipway history` shows it) and its data (`slipway status`). Nothing is
 * recorded for a deployment without secrets after one without any, nor by a control plane without a key.
 */
export async function recordSecretFingerprints(
  cp: ControlPlane,
  plan: Plan,
  secrets: ReadonlyMap<string, Secret>,
): Promise<void> {
  if (!cp.fingerprintSecrets) return;
  const [last] = await cp.store.listEvents({
    app: plan.app,
    environment: plan.environment,
    kinds: [SECRETS_FINGERPRINTED],
    limit: 1,
  });
  const previous = last ? parseSecretFingerprintRecord(last.data) : null;
  if (secrets.size === 0 && (previous === null || Object.keys(previous.fingerprints).length === 0)) return;
  const fingerprints = await cp.fingerprintSecrets(plan.environment, secrets);
  const changes = previous ? deriveSecretChanges(previous.fingerprints, fingerprints) : null;
  const data: SecretFingerprintRecord = { fingerprints, changes };
  await cp.store.appendEvent({
    atMs: cp.clock.nowMs(),
    actor: cp.actor,
    app: plan.app,
    environment: plan.environment,
    deploymentId: plan.deploymentId,
    release: plan.release.version,
    kind: SECRETS_FINGERPRINTED,
    message: describeSecretChanges(changes, Object.keys(fingerprints).length),
    data,
  });
}
