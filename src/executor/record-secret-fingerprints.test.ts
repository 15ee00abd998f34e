import { describe, expect, it } from 'vitest';
import { Secret } from '../core/secret.js';
import { deriveSecretFingerprints, SECRETS_FINGERPRINTED } from '../core/secret-fingerprint.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { Plan } from '../plan/steps.js';
import { T0, useTempStores } from '../store/test-fixtures.js';
import type { Store } from '../store/index.js';
import { recordSecretFingerprints } from './record-secret-fingerprints.js';

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
const secrets = (values: Record<string, string>) =>
  new Map(Object.entries(values).map(([name, value]) => [name, new Secret(name, value)]));

describe('recordSecretFingerprints', () => {
  const stores = useTempStores();

  it('records fingerprints per deployment and says which secrets changed since the last one, never a value', async () => {
    const store = await stores.open();
    const cp = controlPlane(store);
    await recordSecretFingerprints(cp, plan('d-1'), secrets({ DB: 'postgres://one', API: 'k' }));
    await recordSecretFingerprints(cp, plan('d-2'), secrets({ DB: 'postgres://one', API: 'k' }));
    await recordSecretFingerprints(cp, plan('d-3'), secrets({ DB: 'postgres://two', API: 'k' }));
    const events = await store.listEvents({ app: 'shop', kinds: [SECRETS_FINGERPRINTED], limit: 10 });
    expect(events.map((e) => [e.deploymentId, e.message])).toEqual([
      ['d-3', 'DB changed since the last deployment'],
      ['d-2', 'no secret changed since the last deployment'],
      ['d-1', '2 secrets fingerprinted; no earlier deployment to compare with'],
    ]);
    expect(events[0]?.data).toMatchObject({ changes: { changed: ['DB'], added: [], removed: [] } });
    expect(JSON.stringify(events)).not.toContain('postgres://');
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
