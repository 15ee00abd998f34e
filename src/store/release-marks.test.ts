import { expect, it } from 'vitest';
import { T0, describeEachStore } from './test-fixtures.js';

const mark = (environment: string, version: string, atMs: number, markedBy = 'ana@laptop') => ({
  app: 'shop',
  environment,
  version,
  deploymentId: `d-${environment}-${version}`,
  markedBy,
  markedAtMs: atMs,
});

describeEachStore('release marks', (stores) => {
  it('keeps each release good per environment, newest first, and survives a reopen', async () => {
    const where = await stores.location();
    const store = await stores.open(where);
    await store.markReleaseGood(mark('staging', '1.0.0', T0));
    await store.markReleaseGood(mark('production', '1.0.0', T0 + 1000));
    await store.markReleaseGood(mark('staging', '1.1.0', T0 + 2000));

    expect((await store.listReleaseMarks('shop')).map((m) => `${m.environment} ${m.version}`)).toEqual([
      'staging 1.1.0',
      'production 1.0.0',
      'staging 1.0.0',
    ]);
    const reopened = await stores.open(where);
    expect(await reopened.listReleaseMarks('shop', 'production')).toEqual([
      mark('production', '1.0.0', T0 + 1000),
    ]);
    expect(await reopened.listReleaseMarks('other')).toEqual([]);
  });

  it('keeps the first mark when a release is marked good again in the same environment', async () => {
    const store = await stores.open();
    await store.markReleaseGood(mark('production', '1.0.0', T0));
    await store.markReleaseGood(mark('production', '1.0.0', T0 + 5000, 'bob@ci'));
    expect(await store.listReleaseMarks('shop', 'production')).toEqual([mark('production', '1.0.0', T0)]);
  });
});
