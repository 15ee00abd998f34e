import { expect, it } from 'vitest';
import { T0, describeEachStore } from './test-fixtures.js';
import type { UserRecord } from './users.js';

const user = (name: string, overrides: Partial<UserRecord> = {}): UserRecord => ({
  name,
  passwordHash: `scrypt$1024$8$1$salt$${name}`,
  grants: [{ role: 'approver', environments: ['production'] }],
  createdBy: 'root@server',
  createdAtMs: T0,
  passwordChangedAtMs: T0,
  ...overrides,
});

describeEachStore('users', (stores) => {
  it('creates a user once, finds and lists them by name in byte order', async () => {
    const where = await stores.location();
    const store = await stores.open(where);
    expect(await store.createUser(user('bob'))).toBe(true);
    expect(await store.createUser(user('Zed'))).toBe(true);
    expect(await store.createUser(user('ana'))).toBe(true);
    expect(await store.createUser(user('bob', { passwordHash: 'other' }))).toBe(false);

    const reopened = await stores.open(where);
    expect(await reopened.findUser('bob')).toEqual(user('bob'));
    expect(await reopened.findUser('nobody')).toBeUndefined();
    expect((await reopened.listUsers()).map((u) => u.name)).toEqual(['Zed', 'ana', 'bob']);
  });

  it('changes a password and ends that user’s sessions only', async () => {
    const store = await stores.open();
    await store.createUser(user('ana'));
    await store.createUser(user('bob'));
    await store.createSession({ idHash: 'a1', userName: 'ana', createdAtMs: T0, lastSeenAtMs: T0 });
    await store.createSession({ idHash: 'b1', userName: 'bob', createdAtMs: T0, lastSeenAtMs: T0 });

    expect(await store.setUserPassword('ana', 'new-hash', T0 + 1000)).toBe(true);
    expect(await store.findUser('ana')).toMatchObject({
      passwordHash: 'new-hash',
      passwordChangedAtMs: T0 + 1000,
    });
    expect(await store.findSession('a1')).toBeUndefined();
    expect(await store.findSession('b1')).toBeDefined();
    expect(await store.setUserPassword('nobody', 'x', T0)).toBe(false);
  });

  it('removes a user with their sessions', async () => {
    const store = await stores.open();
    await store.createUser(user('ana'));
    await store.createSession({ idHash: 'a1', userName: 'ana', createdAtMs: T0, lastSeenAtMs: T0 });
    expect(await store.deleteUser('ana')).toBe(true);
    expect(await store.deleteUser('ana')).toBe(false);
    expect(await store.findUser('ana')).toBeUndefined();
    expect(await store.findSession('a1')).toBeUndefined();
  });
});
