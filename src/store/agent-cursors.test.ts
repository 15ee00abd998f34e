import { expect, it } from 'vitest';
import { describeEachStore } from './test-fixtures.js';

describeEachStore('agent event cursors', (stores) => {
  it('starts a host once, then moves only from the value read', async () => {
    const where = await stores.location();
    const store = await stores.open(where);
    expect(await store.getAgentCursors('shop')).toEqual({});

    expect(await store.advanceAgentCursor('shop', 'web1', null, 5)).toBe(true);
    // A second process that also found no cursor lost the race: it must not copy events 1–5 again.
    expect(await store.advanceAgentCursor('shop', 'web1', null, 5)).toBe(false);
    expect(await store.advanceAgentCursor('shop', 'web1', 5, 9)).toBe(true);
    expect(await store.advanceAgentCursor('shop', 'web1', 5, 12)).toBe(false);
    expect(await store.advanceAgentCursor('other', 'web1', null, 3)).toBe(true);

    const reopened = await stores.open(where);
    expect(await reopened.getAgentCursors('shop')).toEqual({ web1: 9 });
    expect(await reopened.getAgentCursors('other')).toEqual({ web1: 3 });
  });

  it('lets exactly one of many concurrent advances from one value win', async () => {
    const where = await stores.location();
    const a = await stores.open(where);
    const b = await stores.open(where);
    await a.advanceAgentCursor('shop', 'web1', null, 1);
    const wins = await Promise.all(
      [a, b, a, b].map((store, i) => store.advanceAgentCursor('shop', 'web1', 1, 10 + i)),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
  });
});
