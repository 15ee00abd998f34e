import { expect, it } from 'vitest';
import { T0, describeEachStore } from './test-fixtures.js';

const H = 3_600_000;

describeEachStore('sessions', (stores) => {
  it('finds a session by the hash of its id, touches and deletes it', async () => {
    const where = await stores.location();
    const store = await stores.open(where);
    await store.createSession({ idHash: 'h1', userName: 'ana', createdAtMs: T0, lastSeenAtMs: T0 });
    await store.touchSession('h1', T0 + 5000);

    const reopened = await stores.open(where);
    expect(await reopened.findSession('h1')).toEqual({
      idHash: 'h1',
      userName: 'ana',
      createdAtMs: T0,
      lastSeenAtMs: T0 + 5000,
    });
    expect(await reopened.findSession('h2')).toBeUndefined();
    expect(await reopened.deleteSession('h1')).toBe(true);
    expect(await reopened.deleteSession('h1')).toBe(false);
    expect(await reopened.findSession('h1')).toBeUndefined();
  });

  it('refuses a second session with the same id hash', async () => {
    const store = await stores.open();
    await store.createSession({ idHash: 'h1', userName: 'ana', createdAtMs: T0, lastSeenAtMs: T0 });
    await expect(
      store.createSession({ idHash: 'h1', userName: 'bob', createdAtMs: T0, lastSeenAtMs: T0 }),
    ).rejects.toThrow();
  });

  it('deletes sessions that are too old or idle too long, and keeps the others', async () => {
    const store = await stores.open();
    const now = T0 + 200 * H;
    await store.createSession({
      idHash: 'old',
      userName: 'a',
      createdAtMs: now - 169 * H,
      lastSeenAtMs: now,
    });
    await store.createSession({
      idHash: 'idle',
      userName: 'a',
      createdAtMs: now - 20 * H,
      lastSeenAtMs: now - 13 * H,
    });
    await store.createSession({
      idHash: 'live',
      userName: 'a',
      createdAtMs: now - 20 * H,
      lastSeenAtMs: now - H,
    });
    expect(
      await store.deleteStaleSessions({ createdBeforeMs: now - 168 * H, lastSeenBeforeMs: now - 12 * H }),
    ).toBe(2);
    expect(await store.findSession('old')).toBeUndefined();
    expect(await store.findSession('idle')).toBeUndefined();
    expect(await store.findSession('live')).toBeDefined();
  });
});
