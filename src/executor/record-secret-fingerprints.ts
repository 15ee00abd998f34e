import type { Secret } from '../core/secret.js';
import {
  deriveSecretChanges,
  describeSecretChanges,
  parseSecretFingerprintRecord,
  SECRETS_FINGERPRINTED,
  type SecretFingerprintRecord,
} from '../core/secret-fingerprint.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { appendDeploymentEvent } from './deployment-event.js';
import type { Plan } from '../plan/steps.js';
import type { Store } from '../store/index.js';
import type { LedgerEventRecord } from '../store/ledger.js';

/** How far back the fingerprints of what runs are looked for (fingerprinted deployments, newest first). */
const RUNNING_LOOKBACK = 50;

/**
 * Records which version of each secret a deployment runs with: a `secrets.fingerprinted` event with a keyed
 * fingerprint per secret (never a value) and what changed since the environment's previous fingerprinted
 * deployment that succeeded (what ran until now), said in its message (so `slipway history` shows it) and its data
 * (`slipway status`). Nothing is recorded for a deployment without secrets after one without any, nor by a control
 * plane without a key.
 */
export async function recordSecretFingerprints(
  cp: ControlPlane,
  plan: Plan,
  secrets: ReadonlyMap<string, Secret>,
): Promise<void> {
  if (!cp.fingerprintSecrets) return;
  const previous = (await readRunningFingerprints(cp.store, plan.app, plan.environment))?.record ?? null;
  if (secrets.size === 0 && (previous === null || Object.keys(previous.fingerprints).length === 0)) return;
  const fingerprints = await cp.fingerprintSecrets(plan.environment, secrets);
  const changes = previous ? deriveSecretChanges(previous.fingerprints, fingerprints) : null;
  const data: SecretFingerprintRecord = { fingerprints, changes };
  await appendDeploymentEvent(cp, plan, {
    kind: SECRETS_FINGERPRINTED,
    message: describeSecretChanges(changes, Object.keys(fingerprints).length),
    data,
  });
}

/**
 * The fingerprints of the values that run: those of the environment's newest fingerprinted deployment that
 * succeeded. One that failed, was rolled back or aborted left the values from before it serving (a failed rolling
 * update may leave some hosts on its values; they are not counted). Null when none recorded any.
 */
export async function readRunningFingerprints(
  store: Pick<Store, 'listEvents' | 'listDeployments'>,
  app: string,
  environment: string,
): Promise<{ event: LedgerEventRecord; record: SecretFingerprintRecord } | null> {
  const events = await store.listEvents({
    app,
    environment,
    kinds: [SECRETS_FINGERPRINTED],
    limit: RUNNING_LOOKBACK,
  });
  if (events.length === 0) return null;
  const deployments = await store.listDeployments({ app, environment, limit: RUNNING_LOOKBACK * 4 });
  const succeeded = new Set(deployments.filter((d) => d.outcome === 'succeeded').map((d) => d.id));
  for (const event of events) {
    const record = parseSecretFingerprintRecord(event.data);
    if (record && event.deploymentId && succeeded.has(event.deploymentId)) return { event, record };
  }
  return null;
}
