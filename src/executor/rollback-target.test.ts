import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlipwayConfig } from '../config/schema.js';
import type { HostObservation } from '../plan/plan-deploy.js';
import { openMemoryStore, type Store } from '../store/index.js';
import { chooseRollbackTarget, servingRelease } from './rollback-target.js';

const config = { app: 'shop' } as SlipwayConfig;

function serving(release: string | null): HostObservation[] {
  return [
    { host: 'web-1', active: null, targets: [] },
    { host: 'web-2', active: release ? { targetId: `t-${release}`, release } : null, targets: [] },
  ];
}

describe('chooseRollbackTarget (one chooser for `slipway rollback` and the automatic rollback)', () => {
  let store: Store;
  let atMs = 0;
  const switched = (release: string, environment = 'production') =>
    store.appendEvent({
      atMs: ++atMs,
      actor: 'ann@ci',
      app: 'shop',
      environment,
      kind: 'traffic.switched',
      release,
      message: `traffic to ${release}`,
    });

  beforeEach(async () => {
    store = await openMemoryStore();
  });
  afterEach(async () => store.close());

  it('goes back to the release that served before the one the hosts serve now', async () => {
    for (const r of ['1.0.0', '2.0.0', '3.0.0']) await switched(r);
    expect(await chooseRollbackTarget({ store, config }, 'production', serving('3.0.0'))).toBe('2.0.0');
    // What the hosts serve decides, not the newest switch (a half-done rollback, an interrupted deploy).
    expect(await chooseRollbackTarget({ store, config }, 'production', serving('2.0.0'))).toBe('3.0.0');
  });

  it('reads only the switches of its own environment', async () => {
    await switched('1.0.0');
    await switched('9.9.9', 'staging');
    await switched('2.0.0');
    expect(await chooseRollbackTarget({ store, config }, 'production', serving('2.0.0'))).toBe('1.0.0');
  });

  it('takes a named release, and refuses one that already serves', async () => {
    await switched('1.0.0');
    await switched('2.0.0');
    expect(await chooseRollbackTarget({ store, config }, 'production', serving('2.0.0'), '1.0.0')).toBe(
      '1.0.0',
    );
    await expect(
      chooseRollbackTarget({ store, config }, 'production', serving('2.0.0'), '2.0.0'),
    ).rejects.toThrow('2.0.0 already serves production');
  });

  it('says so when nothing served before', async () => {
    await switched('1.0.0');
    await expect(chooseRollbackTarget({ store, config }, 'production', serving('1.0.0'))).rejects.toThrow(
      'there is no earlier release of shop in production to roll back to',
    );
  });

  it('knows what serves from the first host that serves something', () => {
    expect(servingRelease(serving('2.0.0'))).toBe('2.0.0');
    expect(servingRelease(serving(null))).toBeNull();
  });
});
