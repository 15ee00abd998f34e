import { expect, it } from 'vitest';
import { isoAt } from '../core/clock.js';
import { LockHeldError } from '../core/errors.js';
import type { LockRecord } from './locks.js';
import { T0, aLockRequest, describeEachStore } from './test-fixtures.js';

const never = () => false;

describeEachStore('environment locks', (stores) => {
  it('takes a free lock and records who holds it', async () => {
    const store = await stores.open();

    const result = await store.acquireLock(aLockRequest(), never);

    expect(result).toEqual({ acquired: true });
    expect(await store.getLock('shop', 'production')).toEqual<LockRecord>({
      app: 'shop',
      environment: 'production',
      holder: 'ada@laptop',
      pid: 4242,
      hostname: 'laptop',
      deploymentId: 'd-0001',
      acquiredAtMs: T0,
    });
  });

  it('refuses a held lock with LockHeldError naming the holder, since when and the deployment', async () => {
    const store = await stores.open();
    await store.acquireLock(aLockRequest(), never);
    const seen: LockRecord[] = [];

    const error = await store
      .acquireLock(
        aLockRequest({ holder: 'bob@ci', deploymentId: 'd-0002' }),
        (lock) => (seen.push(lock), false),
      )
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LockHeldError);
    expect(error).toMatchObject({
      environment: 'production',
      holder: 'ada@laptop',
      since: isoAt(T0),
      deploymentId: 'd-0001',
    });
    expect(seen.map((l) => l.deploymentId)).toEqual(['d-0001']);
    expect((await store.getLock('shop', 'production'))?.holder).toBe('ada@laptop');
  });

  it('locks each environment of each app separately', async () => {
    const store = await stores.open();
    await store.acquireLock(aLockRequest(), never);

    await store.acquireLock(aLockRequest({ environment: 'staging', deploymentId: 'd-s' }), never);
    await store.acquireLock(aLockRequest({ app: 'blog', deploymentId: 'd-b' }), never);

    expect((await store.getLock('shop', 'staging'))?.deploymentId).toBe('d-s');
    expect((await store.getLock('blog', 'production'))?.deploymentId).toBe('d-b');
    expect((await store.getLock('shop', 'production'))?.deploymentId).toBe('d-0001');
  });

  it('takes over a stale lock and reports whose it was', async () => {
    const store = await stores.open();
    await store.acquireLock(aLockRequest({ pid: 1111 }), never);

    const result = await store.acquireLock(
      aLockRequest({ holder: 'bob@ci', pid: 2222, deploymentId: 'd-0002', atMs: T0 + 60_000 }),
      (lock) => lock.pid === 1111,
    );

    expect(result.tookOverFrom).toMatchObject({ holder: 'ada@laptop', pid: 1111, deploymentId: 'd-0001' });
    expect(await store.getLock('shop', 'production')).toMatchObject({
      holder: 'bob@ci',
      pid: 2222,
      deploymentId: 'd-0002',
      acquiredAtMs: T0 + 60_000,
    });
  });

  it('does not take over a lock that another process took over after we judged it stale', async () => {
    const where = await stores.location();
    const store = await stores.open(where);
    await store.acquireLock(aLockRequest({ pid: 1111, deploymentId: 'd-dead' }), never);

    const error = await store
      .acquireLock(aLockRequest({ holder: 'bob@ci', deploymentId: 'd-bob' }), (lock) => {
        if (lock.deploymentId !== 'd-dead') return false;
        // Between our read and our write, someone else replaces the stale lock.
        stores.execSqlSync(
          where,
          `update environment_locks set holder = 'eve@box', deployment_id = 'd-eve', pid = 3333`,
        );
        return true;
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LockHeldError);
    expect(error).toMatchObject({ holder: 'eve@box', deploymentId: 'd-eve' });
    expect((await store.getLock('shop', 'production'))?.deploymentId).toBe('d-eve');
  });

  it('releases only for the deployment that holds the lock', async () => {
    const store = await stores.open();
    await store.acquireLock(aLockRequest({ deploymentId: 'd-0001' }), never);

    const wrong = await store.releaseLock('shop', 'production', 'd-other');
    const stillHeld = await store.getLock('shop', 'production');
    const right = await store.releaseLock('shop', 'production', 'd-0001');

    expect(wrong).toBe(false);
    expect(stillHeld?.deploymentId).toBe('d-0001');
    expect(right).toBe(true);
    expect(await store.getLock('shop', 'production')).toBeUndefined();
  });

  it('given its holder, releases only a lock that process still holds (not one taken over for the same deployment)', async () => {
    const store = await stores.open();
    await store.acquireLock(aLockRequest({ pid: 1, hostname: 'a' }), never);
    await store.acquireLock(aLockRequest({ pid: 2, hostname: 'b' }), () => true);

    expect(await store.releaseLock('shop', 'production', 'd-0001', { pid: 1, hostname: 'a' })).toBe(false);
    expect(await store.getLock('shop', 'production')).toMatchObject({ pid: 2, hostname: 'b' });
    expect(await store.releaseLock('shop', 'production', 'd-0001', { pid: 2, hostname: 'b' })).toBe(true);
    expect(await store.getLock('shop', 'production')).toBeUndefined();
  });

  it('can be taken again once released', async () => {
    const store = await stores.open();
    await store.acquireLock(aLockRequest(), never);
    await store.releaseLock('shop', 'production', 'd-0001');

    const result = await store.acquireLock(aLockRequest({ deploymentId: 'd-0002' }), never);

    expect(result).toEqual({ acquired: true });
    expect((await store.getLock('shop', 'production'))?.deploymentId).toBe('d-0002');
  });

  it('removes a lock as it was read, whoever holds it, and leaves a lock taken since', async () => {
    const store = await stores.open();
    await store.acquireLock(aLockRequest({ hostname: 'ci-runner-7', pid: 77 }), never);
    const seen = await store.getLock('shop', 'production');
    if (!seen) throw new Error('no lock');

    expect(await store.removeLock(seen)).toBe(true);
    expect(await store.getLock('shop', 'production')).toBeUndefined();
    expect(await store.removeLock(seen)).toBe(false);

    // Someone took the lock after we read the old one: removing what we read must not remove theirs.
    await store.acquireLock(aLockRequest({ deploymentId: 'd-0002', atMs: T0 + 1 }), never);
    expect(await store.removeLock(seen)).toBe(false);
    expect((await store.getLock('shop', 'production'))?.deploymentId).toBe('d-0002');
  });

  it('answers undefined when nobody holds the lock', async () => {
    const store = await stores.open();
    await store.acquireLock(aLockRequest({ environment: 'staging' }), never);
    expect(await store.getLock('shop', 'production')).toBeUndefined();
  });
});
