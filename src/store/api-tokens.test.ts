import { expect, it } from 'vitest';
import { T0, describeEachStore } from './test-fixtures.js';

const token = (id: string, hash: string, atMs: number) => ({
  id,
  subject: 'ci',
  description: 'the build server',
  tokenHash: hash,
  grants: [{ role: 'deployer' as const, environments: ['staging'] }],
  createdBy: 'ana',
  createdAtMs: atMs,
  expiresAtMs: null,
});

describeEachStore('API tokens', (stores) => {
  it('finds a token by its hash only, lists newest first, and revokes once', async () => {
    const where = await stores.location();
    const store = await stores.open(where);
    await store.createApiToken(token('t1', 'a'.repeat(64), T0));
    await store.createApiToken(token('t2', 'b'.repeat(64), T0 + 1000));

    expect(await store.findApiTokenByHash('a'.repeat(64))).toEqual({
      ...token('t1', 'a'.repeat(64), T0),
      lastUsedAtMs: null,
      revokedAtMs: null,
    });
    expect(await store.findApiTokenByHash('c'.repeat(64))).toBeUndefined();
    expect((await store.listApiTokens()).map((t) => t.id)).toEqual(['t2', 't1']);

    await store.touchApiToken('t1', T0 + 5000);
    expect(await store.revokeApiToken('t1', T0 + 6000)).toBe(true);
    expect(await store.revokeApiToken('t1', T0 + 7000)).toBe(false);
    const reopened = await stores.open(where);
    expect(await reopened.findApiTokenByHash('a'.repeat(64))).toMatchObject({
      lastUsedAtMs: T0 + 5000,
      revokedAtMs: T0 + 6000,
    });
  });

  it('refuses a second token with the same hash', async () => {
    const store = await stores.open();
    await store.createApiToken(token('t1', 'a'.repeat(64), T0));
    await expect(store.createApiToken(token('t2', 'a'.repeat(64), T0))).rejects.toThrow();
  });
});
