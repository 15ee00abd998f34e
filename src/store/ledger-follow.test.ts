import { expect, it } from 'vitest';
import { anEvent, describeEachStore } from './test-fixtures.js';

// The ledger queries the server needs: a follower's cursor (afterSeq), what a reader granted some environments
// may see, and a text search; on both stores.

describeEachStore('ledger queries for the server', (stores) => {
  it('lists only events after a sequence number, newest first, and pages forward', async () => {
    const store = await stores.open();
    const seqs: number[] = [];
    for (const n of [1, 2, 3, 4, 5]) seqs.push(await store.appendEvent(anEvent({ message: `event ${n}` })));
    const [, second, , fourth] = seqs;

    const after = await store.listEvents({ app: 'shop', afterSeq: second, limit: 10 });
    expect(after.map((e) => e.message)).toEqual(['event 5', 'event 4', 'event 3']);
    const between = await store.listEvents({ app: 'shop', afterSeq: second, beforeSeq: fourth, limit: 10 });
    expect(between.map((e) => e.message)).toEqual(['event 3']);
    expect(await store.listEvents({ app: 'shop', afterSeq: seqs.at(-1), limit: 10 })).toEqual([]);
  });

  it('shows a reader the events of its environments and those of none', async () => {
    const store = await stores.open();
    await store.appendEvent(anEvent({ environment: null, kind: 'release.created', message: 'built' }));
    await store.appendEvent(anEvent({ environment: 'staging', message: 'to staging' }));
    await store.appendEvent(anEvent({ environment: 'production', message: 'to production' }));
    await store.appendEvent(anEvent({ environment: 'qa', message: 'to qa' }));

    const some = await store.listEvents({ app: 'shop', visibleEnvironments: ['staging', 'qa'], limit: 10 });
    expect(some.map((e) => e.message)).toEqual(['to qa', 'to staging', 'built']);
    const none = await store.listEvents({ app: 'shop', visibleEnvironments: [], limit: 10 });
    expect(none.map((e) => e.message)).toEqual(['built']);
  });

  it('searches message, actor, release and deployment id, ignoring case, with % and _ taken literally', async () => {
    const store = await stores.open();
    await store.appendEvent(anEvent({ message: 'Deployed the CART service', actor: 'alice' }));
    await store.appendEvent(anEvent({ message: 'plain', actor: 'Bob@laptop' }));
    await store.appendEvent(anEvent({ message: 'plain', release: '2.0.0-rc_1' }));
    await store.appendEvent(anEvent({ message: 'plain', deploymentId: 'd-xyz42' }));
    await store.appendEvent(anEvent({ message: '100% done' }));
    await store.appendEvent(anEvent({ message: '1000 done' }));

    const search = async (text: string) =>
      (await store.listEvents({ app: 'shop', search: text, limit: 10 })).map(
        (e) => `${e.message}|${e.actor}|${e.release ?? ''}|${e.deploymentId ?? ''}`,
      );
    expect(await search('cart')).toEqual(['Deployed the CART service|alice||']);
    expect(await search('bob@')).toEqual(['plain|Bob@laptop||']);
    expect(await search('RC_1')).toEqual([`plain|${anEvent().actor}|2.0.0-rc_1|`]);
    expect(await search('XYZ4')).toEqual([`plain|${anEvent().actor}||d-xyz42`]);
    expect(await search('0%')).toEqual([`100% done|${anEvent().actor}||`]);
    expect(await search('2_0')).toEqual([]);
  });
});
