import { expect, it } from 'vitest';
import { T0, describeEachStore } from './test-fixtures.js';

const failure = (id: string, userName: string, address: string, atMs: number) => ({
  id,
  userName,
  address,
  atMs,
});

describeEachStore('login attempts', (stores) => {
  it('lists failure times per user and per address since a time, oldest first', async () => {
    const where = await stores.location();
    const store = await stores.open(where);
    await store.recordLoginFailure(failure('f3', 'ana', '10.0.0.1', T0 + 3000));
    await store.recordLoginFailure(failure('f1', 'ana', '10.0.0.2', T0 + 1000));
    await store.recordLoginFailure(failure('f2', 'bob', '10.0.0.1', T0 + 2000));
    await store.recordLoginFailure(failure('f0', 'ana', '10.0.0.1', T0));

    // Another process (a second replica) sees the same counts.
    const other = await stores.open(where);
    expect(await other.listLoginFailureTimes({ userName: 'ana', sinceMs: T0 })).toEqual([
      T0 + 1000,
      T0 + 3000,
    ]);
    expect(await other.listLoginFailureTimes({ address: '10.0.0.1', sinceMs: T0 - 1 })).toEqual([
      T0,
      T0 + 2000,
      T0 + 3000,
    ]);
    expect(await other.listLoginFailureTimes({ userName: 'carl', sinceMs: 0 })).toEqual([]);
  });

  it('forgets a user’s failures after a login but not the address’s, and prunes old ones', async () => {
    const store = await stores.open();
    await store.recordLoginFailure(failure('f1', 'ana', '10.0.0.1', T0));
    await store.recordLoginFailure(failure('f2', 'bob', '10.0.0.1', T0 + 1000));
    await store.recordLoginFailure(failure('f3', 'bob', '10.0.0.1', T0 + 2000));

    await store.clearLoginFailuresOfUser('ana');
    expect(await store.listLoginFailureTimes({ userName: 'ana', sinceMs: 0 })).toEqual([]);
    expect(await store.listLoginFailureTimes({ userName: 'bob', sinceMs: 0 })).toHaveLength(2);

    await store.deleteLoginFailure('f2');
    expect(await store.listLoginFailureTimes({ userName: 'bob', sinceMs: 0 })).toEqual([T0 + 2000]);
    await store.recordLoginFailure(failure('f4', 'bob', '10.0.0.1', T0 + 1000));
    expect(await store.pruneLoginFailures(T0 + 1000)).toBe(1);
    expect(await store.listLoginFailureTimes({ address: '10.0.0.1', sinceMs: 0 })).toEqual([T0 + 2000]);
  });
});
