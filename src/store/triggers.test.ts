import { expect, it } from 'vitest';
import { describeEachStore } from './test-fixtures.js';

describeEachStore('trigger state', (stores) => {
  it('keeps the last commit per watch and the outcome per commit', async () => {
    const store = await stores.open();
    expect(await store.getWatchHead('shop', 'repo#main')).toBeUndefined();
    await store.setWatchHead('shop', 'repo#main', 'c1', 1);
    await store.setWatchHead('shop', 'repo#main', 'c2', 2);
    await store.setWatchHead('shop', 'repo#dev', 'd1', 3);
    expect(await store.getWatchHead('shop', 'repo#main')).toBe('c2');
    await store.recordWatchedCommit({
      app: 'shop',
      watch: 'repo#main',
      commit: 'c2',
      status: 'failed',
      version: 'c2',
      atMs: 4,
    });
    expect(await store.getWatchedCommit('shop', 'repo#main', 'c2')).toMatchObject({
      status: 'failed',
      version: 'c2',
    });
    expect(await store.getWatchedCommit('shop', 'repo#dev', 'c2')).toBeUndefined();
  });

  it('claims a webhook delivery once, even from two stores on one database', async () => {
    const where = await stores.location();
    const a = await stores.open(where);
    const b = await stores.open(where);
    const claims = await Promise.all([
      a.claimWebhookDelivery('shop', 'd-1', 1),
      b.claimWebhookDelivery('shop', 'd-1', 1),
    ]);
    expect(claims.sort()).toEqual([false, true]);
    expect(await a.claimWebhookDelivery('blog', 'd-1', 1)).toBe(true);
  });
});
