import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Store } from './store.js';
import { LEDGER_APPEND_LOCK } from './ledger.js';
import { T0, anEvent, describeEachStore, useTempStores } from './test-fixtures.js';

async function appendHistory(store: Store): Promise<number[]> {
  return [
    await store.appendEvent(
      anEvent({ kind: 'release.created', environment: null, release: '1.0.0', message: 'built' }),
    ),
    await store.appendEvent(anEvent({ kind: 'deploy.started', environment: 'staging', deploymentId: 'd-1' })),
    await store.appendEvent(
      anEvent({ kind: 'deploy.succeeded', environment: 'staging', deploymentId: 'd-1' }),
    ),
    await store.appendEvent(
      anEvent({ kind: 'deploy.started', environment: 'production', deploymentId: 'd-2' }),
    ),
    await store.appendEvent(
      anEvent({ kind: 'traffic.switched', environment: 'production', deploymentId: 'd-2' }),
    ),
    await store.appendEvent(anEvent({ app: 'blog', kind: 'deploy.started', environment: 'production' })),
  ];
}

describeEachStore('ledger', (stores) => {
  it('answers increasing sequence numbers and reads every field back', async () => {
    const store = await stores.open();

    const first = await store.appendEvent(anEvent({ data: { hosts: ['a', 'b'] }, release: '1.0.0' }));
    const second = await store.appendEvent(anEvent({ kind: 'deploy.succeeded', atMs: T0 + 1 }));

    expect(second).toBeGreaterThan(first);
    expect(await store.listEvents({ app: 'shop', limit: 10 })).toEqual([
      {
        ...anEvent({ kind: 'deploy.succeeded', atMs: T0 + 1 }),
        seq: second,
        deploymentId: null,
        release: null,
        data: undefined,
      },
      { ...anEvent(), seq: first, deploymentId: null, release: '1.0.0', data: { hosts: ['a', 'b'] } },
    ]);
  });

  it('lists newest first, by sequence rather than by the time the caller stamped', async () => {
    const store = await stores.open();
    await store.appendEvent(anEvent({ message: 'first', atMs: T0 + 100 }));
    await store.appendEvent(anEvent({ message: 'second', atMs: T0 }));

    const messages = (await store.listEvents({ app: 'shop', limit: 10 })).map((e) => e.message);

    expect(messages).toEqual(['second', 'first']);
  });

  it('lists by the time events happened, then by sequence, when asked (events copied in late)', async () => {
    const store = await stores.open();
    await store.appendEvent(anEvent({ kind: 'deploy.started', message: 'deploy', atMs: T0 + 10 }));
    await store.appendEvent(anEvent({ kind: 'release.created', message: 'release', atMs: T0 + 30 }));
    // An agent's events, copied into the ledger after the release event although they happened before it.
    await store.appendEvent(anEvent({ kind: 'agent.started', message: 'agent', atMs: T0 + 20 }));
    await store.appendEvent(anEvent({ kind: 'target.started', message: 'target, same ms', atMs: T0 + 20 }));
    await store.appendEvent(anEvent({ kind: 'target.started', message: 'oldest', atMs: T0 }));

    const byTime = await store.listEvents({ app: 'shop', limit: 10, order: 'time' });
    expect(byTime.map((e) => e.message)).toEqual(['release', 'target, same ms', 'agent', 'deploy', 'oldest']);
    // The limit keeps the newest by time, not the newest appended.
    const newest = await store.listEvents({
      app: 'shop',
      limit: 2,
      order: 'time',
      environment: 'production',
    });
    expect(newest.map((e) => e.message)).toEqual(['release', 'target, same ms']);
    // The default order is still the order of appends.
    const bySeq = await store.listEvents({ app: 'shop', limit: 10 });
    expect(bySeq.map((e) => e.message)).toEqual(['oldest', 'target, same ms', 'agent', 'release', 'deploy']);
  });

  it('keeps earlier events unchanged as more are appended, across re-opens', async () => {
    const where = await stores.location();
    const store = await stores.open(where);
    await appendHistory(store);
    const before = await store.listEvents({ app: 'shop', limit: 100 });

    const reopened = await stores.open(where);
    const later = await reopened.appendEvent(anEvent({ kind: 'rollback.succeeded' }));
    const after = await reopened.listEvents({ app: 'shop', limit: 100 });

    expect(after.slice(1)).toEqual(before);
    expect(after[0]?.seq).toBe(later);
    expect(later).toBeGreaterThan(before[0]!.seq);
  });

  it('filters by app, environment and kinds', async () => {
    const store = await stores.open();
    await appendHistory(store);

    const kinds = async (query: Omit<Parameters<Store['listEvents']>[0], 'limit'>) =>
      (await store.listEvents({ ...query, limit: 100 })).map((e) => `${e.environment}:${e.kind}`);

    expect(await kinds({ app: 'shop', environment: 'production' })).toEqual([
      'production:traffic.switched',
      'production:deploy.started',
    ]);
    expect(await kinds({ app: 'shop', kinds: ['deploy.started', 'release.created'] })).toEqual([
      'production:deploy.started',
      'staging:deploy.started',
      'null:release.created',
    ]);
    expect(await kinds({ app: 'shop', environment: 'staging', kinds: ['deploy.succeeded'] })).toEqual([
      'staging:deploy.succeeded',
    ]);
    expect(await kinds({ app: 'shop', kinds: [] })).toHaveLength(5);
    expect(await kinds({ app: 'blog' })).toEqual(['production:deploy.started']);
  });

  it('pages with limit and beforeSeq without skipping or repeating an event', async () => {
    const store = await stores.open();
    const seqs = await appendHistory(store);
    const shopSeqs = seqs.slice(0, 5).reverse();

    const page1 = await store.listEvents({ app: 'shop', limit: 2 });
    const page2 = await store.listEvents({ app: 'shop', limit: 2, beforeSeq: page1.at(-1)!.seq });
    const page3 = await store.listEvents({ app: 'shop', limit: 2, beforeSeq: page2.at(-1)!.seq });

    expect([...page1, ...page2, ...page3].map((e) => e.seq)).toEqual(shopSeqs);
    expect(page3).toHaveLength(1);
  });

  it('offers no way to change or remove an event', async () => {
    const store = await stores.open();
    const methods = Object.keys(store).filter((name) => /event/i.test(name));
    expect(methods.sort()).toEqual(['appendEvent', 'listEvents']);
  });
});

describeEachStore('ledger under concurrent appends', (stores) => {
  it('gives every event of several writers its own sequence number, in each writer’s order', async () => {
    const where = await stores.location();
    const writers = await Promise.all([1, 2, 3].map(() => stores.open(where)));

    const seqsPerWriter = await Promise.all(
      writers.map(async (store, w) => {
        const seqs: number[] = [];
        for (let i = 0; i < 15; i++) seqs.push(await store.appendEvent(anEvent({ message: `w${w} #${i}` })));
        return seqs;
      }),
    );

    const all = seqsPerWriter.flat();
    expect(new Set(all).size).toBe(45);
    for (const seqs of seqsPerWriter) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const listed = await writers[0]!.listEvents({ app: 'shop', limit: 100 });
    expect(listed.map((e) => e.seq)).toEqual([...all].sort((a, b) => b - a));
    for (const [w, seqs] of seqsPerWriter.entries()) {
      const mine = listed.filter((e) => e.message.startsWith(`w${w} `)).reverse();
      expect(mine.map((e) => [e.seq, e.message])).toEqual(seqs.map((seq, i) => [seq, `w${w} #${i}`]));
    }
  });
});

describe('ledger appends on PostgreSQL', () => {
  const stores = useTempStores('postgres');

  it('wait for an append in flight elsewhere, so that sequence order is the order events become visible', async () => {
    const where = await stores.location();
    const store = await stores.open(where);
    const other = new pg.Client({ connectionString: where.kind === 'postgres' ? where.url : '' });
    await other.connect();
    try {
      // Another process is in the middle of an append: its event has a sequence number but is not committed.
      await other.query('begin');
      await other.query('select pg_advisory_xact_lock($1)', [LEDGER_APPEND_LOCK]);
      const [inFlight] = (
        await other.query<{ seq: number }>(
          `insert into ledger_events (at_ms, actor, app, kind, message) values ($1, 'eve', 'shop', 'deploy.started', 'other') returning seq`,
          [T0],
        )
      ).rows;

      const appended = store.appendEvent(anEvent({ message: 'ours' }));
      // Ours waits for the lock (bounded wait: 200 checks) instead of committing a later seq first.
      let waiting = false;
      for (let i = 0; i < 200 && !waiting; i++) {
        const [row] = (
          await other.query<{ n: number }>(
            `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`,
          )
        ).rows;
        waiting = row?.n === 1;
        if (!waiting) await new Promise((r) => setTimeout(r, 10));
      }
      expect(waiting).toBe(true);
      await other.query('commit');

      const seq = await appended;
      expect(seq).toBeGreaterThan(Number(inFlight?.seq));
      expect((await store.listEvents({ app: 'shop', limit: 10 })).map((e) => e.message)).toEqual([
        'ours',
        'other',
      ]);
    } finally {
      await other.end();
    }
  });
});
