import { expect, it } from 'vitest';
import { MIGRATION_TABLE } from './migrations.js';
import { describeEachStore, T0 } from './test-fixtures.js';
import type { WebhookDelivery } from './triggers.js';

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

  const delivery = (over: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
    app: 'shop',
    deliveryId: 'd-1',
    bodySha256: 'b'.repeat(64),
    pushedAtMs: T0,
    receivedAtMs: T0 + 1,
    ...over,
  });

  it('claims a webhook delivery once, even from two stores on one database', async () => {
    const where = await stores.location();
    const a = await stores.open(where);
    const b = await stores.open(where);
    const claims = await Promise.all([
      a.claimWebhookDelivery(delivery()),
      b.claimWebhookDelivery(delivery()),
    ]);
    expect(claims.map((c) => c.kind).sort()).toEqual(['claimed', 'seen']);
    expect(await a.claimWebhookDelivery(delivery({ app: 'blog' }))).toEqual({ kind: 'claimed' });
  });

  it('knows a body seen before under any delivery id, and names the first delivery', async () => {
    const where = await stores.location();
    const a = await stores.open(where);
    const b = await stores.open(where);
    expect(await a.claimWebhookDelivery(delivery())).toEqual({ kind: 'claimed' });

    const replays = await Promise.all([
      a.claimWebhookDelivery(delivery({ deliveryId: 'd-2', receivedAtMs: T0 + 9 })),
      b.claimWebhookDelivery(delivery({ deliveryId: 'd-3', receivedAtMs: T0 + 9 })),
    ]);
    expect(replays).toEqual([
      { kind: 'seen', first: { deliveryId: 'd-1', receivedAtMs: T0 + 1 } },
      { kind: 'seen', first: { deliveryId: 'd-1', receivedAtMs: T0 + 1 } },
    ]);
    expect(await a.claimWebhookDelivery(delivery({ deliveryId: 'd-4', bodySha256: 'c'.repeat(64) }))).toEqual(
      {
        kind: 'claimed',
      },
    );
  });

  it('forgets only deliveries pushed before the given time, keeping those without pushed_at', async () => {
    const store = await stores.open();
    await store.claimWebhookDelivery(delivery({ deliveryId: 'old', bodySha256: '1'.repeat(64) }));
    await store.claimWebhookDelivery(
      delivery({ deliveryId: 'new', bodySha256: '2'.repeat(64), pushedAtMs: T0 + 60_000 }),
    );
    await store.claimWebhookDelivery(
      delivery({ deliveryId: 'undated', bodySha256: '3'.repeat(64), pushedAtMs: null }),
    );

    expect(await store.forgetWebhookDeliveries('blog', T0 + 30_000)).toBe(0);
    expect(await store.forgetWebhookDeliveries('shop', T0 + 30_000)).toBe(1);

    const again = async (id: string, digit: string) =>
      (await store.claimWebhookDelivery(delivery({ deliveryId: id, bodySha256: digit.repeat(64) }))).kind;
    expect(await again('old', '1')).toBe('claimed');
    expect(await again('new', '2')).toBe('seen');
    expect(await again('undated', '3')).toBe('seen');
  });

  it('keeps the deliveries recorded before bodies were (migration 0012), known by their id', async () => {
    const where = await stores.location();
    await (await stores.open(where)).close();
    // Back to the schema before 0012, with a delivery of then.
    for (const statement of [
      `delete from ${MIGRATION_TABLE} where name = '0012_webhook_body_digests'`,
      'drop index webhook_deliveries_by_body',
      'drop index webhook_deliveries_by_pushed_at',
      'alter table webhook_deliveries drop column body_sha256',
      'alter table webhook_deliveries drop column pushed_at_ms',
      `insert into webhook_deliveries (app, delivery_id, received_at_ms) values ('shop', 'd-old', 1)`,
    ]) {
      stores.execSqlSync(where, statement);
    }

    const store = await stores.open(where);
    expect(await store.claimWebhookDelivery(delivery({ deliveryId: 'd-old' }))).toEqual({
      kind: 'seen',
      first: { deliveryId: 'd-old', receivedAtMs: 1 },
    });
    expect(await store.claimWebhookDelivery(delivery({ deliveryId: 'd-new' }))).toEqual({ kind: 'claimed' });
    expect(
      await store.claimWebhookDelivery(delivery({ deliveryId: 'd-other', pushedAtMs: null })),
    ).toMatchObject({
      kind: 'seen',
      first: { deliveryId: 'd-new' },
    });
  });
});
