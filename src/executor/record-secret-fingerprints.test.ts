import { describe, expect, it } from 'vitest';
import { Secret } from '../core/secret.js';
import { deriveSecretFingerprints, SECRETS_FINGERPRINTED } from '../core/secret-fingerprint.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { Plan } from '../plan/steps.js';
import { aDeployment, T0, useTempStores } from '../store/test-fixtures.js';
import type { Store } from '../store/index.js';
import type { DeploymentOutcome } from '../store/deployments.js';
import { readRunningFingerprints, recordSecretFingerprints } from './record-secret-fingerprints.js';

const KEY = Buffer.alloc(32, 3);

function controlPlane(store: Store): ControlPlane {
  return {
    store,
    actor: 'ada@laptop',
    clock: { nowMs: () => T0 },
    fingerprintSecrets: (environment: string, secrets: ReadonlyMap<string, Secret>) =>
      Promise.resolve(deriveSecretFingerprints(KEY, { app: 'shop', environment }, secrets)),
  } as unknown as ControlPlane;
}

const plan = (deploymentId: string): Plan =>
  ({
    app: 'shop',
    environment: 'production',
    deploymentId,
    release: { version: '1.0.0' },
  }) as unknown as Plan;
/** A deployment as the executor records it: created, its fingerprints recorded, then finished with `outcome`. */
async function deploy(
  store: Store,
  id: string,
  values: Record<string, string>,
  outcome: DeploymentOutcome = 'succeeded',
): Promise<void> {
  await store.createDeployment(aDeployment({ id }));
  await recordSecretFingerprints(controlPlane(store), plan(id), secrets(values));
  await store.finishDeployment(id, { outcome, finishedAtMs: T0 });
}

const secrets = (values: Record<string, string>) =>
  new Map(Object.entries(values).map(([name, value]) => [name, new Secret(name, value)]));

describe('recordSecretFingerprints', () => {
  const stores = useTempStores();

  it('records fingerprints per deployment and says which secrets changed since the last one, never a value', async () => {
    const store = await stores.open();
    await deploy(store, 'd-1', { DB: 'postgres://one', API: 'k' });
    await deploy(store, 'd-2', { DB: 'postgres://one', API: 'k' });
    await deploy(store, 'd-3', { DB: 'postgres://two', API: 'k' });
    const events = await store.listEvents({ app: 'shop', kinds: [SECRETS_FINGERPRINTED], limit: 10 });
    expect(events.map((e) => [e.deploymentId, e.message])).toEqual([
      ['d-3', 'DB changed since the last successful deployment'],
      ['d-2', 'no secret changed since the last successful deployment'],
      ['d-1', '2 secrets fingerprinted; no earlier deployment to compare with'],
    ]);
    expect(events[0]?.data).toMatchObject({ changes: { changed: ['DB'], added: [], removed: [] } });
    expect(JSON.stringify(events)).not.toContain('postgres://');
  });

  it('compares with the last deployment that succeeded: one rolled back left the values before it running', async () => {
    const store = await stores.open();
    await deploy(store, 'd-1', { DB: 'postgres://one' });
    await deploy(store, 'd-2', { DB: 'postgres://two' }, 'rolled-back');
    await deploy(store, 'd-3', { DB: 'postgres://two' }, 'failed');
    expect((await readRunningFingerprints(store, 'shop', 'production'))?.event.deploymentId).toBe('d-1');
    await deploy(store, 'd-4', { DB: 'postgres://one' });
    const [last] = await store.listEvents({ app: 'shop', kinds: [SECRETS_FINGERPRINTED], limit: 1 });
    // d-2 and d-3 never served: against d-1, nothing changed.
    expect(last?.message).toBe('no secret changed since the last successful deployment');
    expect(await readRunningFingerprints(store, 'shop', 'staging')).toBeNull();
  });

  it('records nothing for deployments without secrets, nor without a key', async () => {
    const store = await stores.open();
    await recordSecretFingerprints(controlPlane(store), plan('d-1'), new Map());
    await recordSecretFingerprints(
      { ...controlPlane(store), fingerprintSecrets: undefined },
      plan('d-2'),
      secrets({ A: 'x' }),
    );
    expect(await store.listEvents({ app: 'shop', limit: 10 })).toEqual([]);
  });
});
