import { expect, it } from 'vitest';
import { ConflictError } from '../core/errors.js';
import { T0, aRelease, describeEachStore } from './test-fixtures.js';

describeEachStore('releases', (stores) => {
  it('creates a release and reads back every field, config snapshot included', async () => {
    const store = await stores.open();
    const release = aRelease({ source: 'git:0badc0de' });

    const result = await store.createRelease(release);

    expect(result).toEqual({ created: true, release: { ...release, source: 'git:0badc0de' } });
    expect(await store.getRelease('shop', '1.0.0')).toEqual(result.release);
  });

  it('stores a missing source as null', async () => {
    const store = await stores.open();
    const { release } = await store.createRelease(aRelease());
    expect(release.source).toBeNull();
    expect((await store.getRelease('shop', '1.0.0'))?.source).toBeNull();
  });

  it('answers created: false with the stored release when the same version and sha256 come again', async () => {
    const store = await stores.open();
    await store.createRelease(aRelease({ createdBy: 'ada@laptop' }));

    const again = await store.createRelease(aRelease({ createdBy: 'bob@ci', createdAtMs: T0 + 1000 }));

    expect(again.created).toBe(false);
    expect(again.release.createdBy).toBe('ada@laptop');
    expect(await store.listReleases('shop')).toHaveLength(1);
  });

  it('refuses the same version with another sha256, naming the version and both short hashes', async () => {
    const store = await stores.open();
    await store.createRelease(aRelease({ sha256: 'a'.repeat(64) }));

    const error = await store.createRelease(aRelease({ sha256: 'b'.repeat(64) })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConflictError);
    const { message, hint } = error as ConflictError;
    expect(message).toContain('1.0.0');
    expect(message).toContain('a'.repeat(12));
    expect(message).toContain('b'.repeat(12));
    expect(message).not.toContain('a'.repeat(13));
    expect(hint).toMatch(/new version/);
    expect((await store.getRelease('shop', '1.0.0'))?.sha256).toBe('a'.repeat(64));
  });

  it('keeps versions of different apps apart', async () => {
    const store = await stores.open();
    await store.createRelease(aRelease({ app: 'shop', sha256: 'a'.repeat(64) }));

    const other = await store.createRelease(aRelease({ app: 'blog', sha256: 'b'.repeat(64) }));

    expect(other.created).toBe(true);
    expect((await store.getRelease('blog', '1.0.0'))?.sha256).toBe('b'.repeat(64));
  });

  it('answers undefined for an unknown release', async () => {
    const store = await stores.open();
    await store.createRelease(aRelease());
    expect(await store.getRelease('shop', '9.9.9')).toBeUndefined();
    expect(await store.getRelease('blog', '1.0.0')).toBeUndefined();
  });

  it('lists an app’s releases newest first', async () => {
    const store = await stores.open();
    await store.createRelease(aRelease({ version: '1.0.0', createdAtMs: T0 }));
    await store.createRelease(aRelease({ version: '1.2.0', createdAtMs: T0 + 2000 }));
    await store.createRelease(aRelease({ version: '1.1.0', createdAtMs: T0 + 1000 }));
    await store.createRelease(aRelease({ app: 'blog', version: '7.0.0', createdAtMs: T0 + 5000 }));

    const versions = (await store.listReleases('shop')).map((r) => r.version);

    expect(versions).toEqual(['1.2.0', '1.1.0', '1.0.0']);
  });

  it('orders releases of the same instant by version byte by byte, whatever the database’s collation', async () => {
    const store = await stores.open();
    const versions = ['1.0.0-rc1', '1.0.0', '1.0.0-RC1', '1.0.0-beta', 'v1.0.0', 'V1.0.0'];
    for (const [i, version] of versions.entries())
      await store.createRelease(aRelease({ version, sha256: String(i).repeat(64) }));

    const listed = (await store.listReleases('shop')).map((r) => r.version);

    expect(listed).toEqual(['v1.0.0', 'V1.0.0', '1.0.0-rc1', '1.0.0-beta', '1.0.0-RC1', '1.0.0']);
  });
});
