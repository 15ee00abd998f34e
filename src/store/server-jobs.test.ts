import { expect, it } from 'vitest';
import type { NewServerJob } from './server-jobs.js';
import { T0, describeEachStore } from './test-fixtures.js';

const aJob = (overrides: Partial<NewServerJob> = {}): NewServerJob => ({
  id: 'j1',
  app: 'shop',
  kind: 'deploy',
  environment: 'production',
  payload: { release: '1.0.0', reason: 'friday' },
  requestedBy: 'ana',
  createdAtMs: T0,
  ...overrides,
});

describeEachStore('server jobs', (stores) => {
  it('stores a queued job and lists jobs newest first, or the queue oldest first', async () => {
    const store = await stores.open();
    await store.insertServerJob(aJob());
    await store.insertServerJob(aJob({ id: 'j2', environment: 'staging', createdAtMs: T0 + 10 }));
    await store.insertServerJob(
      aJob({ id: 'j3', kind: 'release', environment: null, payload: {}, createdAtMs: T0 + 20 }),
    );
    await store.insertServerJob(aJob({ id: 'other', app: 'blog', createdAtMs: T0 + 30 }));

    expect(await store.getServerJob('j1')).toEqual({
      id: 'j1',
      kind: 'deploy',
      environment: 'production',
      payload: { release: '1.0.0', reason: 'friday' },
      state: 'queued',
      requestedBy: 'ana',
      createdAtMs: T0,
      owner: null,
      startedAtMs: null,
      heartbeatAtMs: null,
      finishedAtMs: null,
      deploymentId: null,
      release: null,
      error: null,
      takeovers: 0,
    });
    expect((await store.listServerJobs({ app: 'shop', limit: 10 })).map((j) => j.id)).toEqual([
      'j3',
      'j2',
      'j1',
    ]);
    expect(
      (await store.listServerJobs({ app: 'shop', state: 'queued', limit: 2, oldestFirst: true })).map(
        (j) => j.id,
      ),
    ).toEqual(['j1', 'j2']);
    expect(
      (await store.listServerJobs({ app: 'shop', environment: 'staging', limit: 10 })).map((j) => j.id),
    ).toEqual(['j2']);
  });

  it('keeps the order of enqueueing for jobs of the same millisecond', async () => {
    const store = await stores.open();
    for (const id of ['zz', 'aa', 'mm']) await store.insertServerJob(aJob({ id }));

    const queue = await store.listServerJobs({ app: 'shop', state: 'queued', limit: 10, oldestFirst: true });

    expect(queue.map((j) => j.id)).toEqual(['zz', 'aa', 'mm']);
    expect((await store.listServerJobs({ app: 'shop', limit: 10 })).map((j) => j.id)).toEqual([
      'mm',
      'aa',
      'zz',
    ]);
    await expect(store.insertServerJob(aJob({ id: 'aa' }))).rejects.toThrow();
  });

  it('lets exactly one of several racing replicas claim a queued job', async () => {
    const where = await stores.location();
    const replicas = await Promise.all(['a', 'b', 'c', 'd'].map(() => stores.open(where)));
    const [first] = replicas;
    await first!.insertServerJob(aJob());

    const claims = await Promise.all(replicas.map((s, i) => s.claimServerJob('j1', `r${i}`, T0 + 100)));

    expect(claims.filter(Boolean)).toHaveLength(1);
    const winner = `r${claims.indexOf(true)}`;
    expect(await first!.getServerJob('j1')).toMatchObject({
      state: 'running',
      owner: winner,
      startedAtMs: T0 + 100,
      heartbeatAtMs: T0 + 100,
    });
    expect(await first!.claimServerJob('j1', 'late', T0 + 200)).toBe(false);
  });

  it('takes a job over only once its heartbeat is stale, from the owner and heartbeat read: two survivors cannot both take it', async () => {
    const where = await stores.location();
    const [a, b, c] = await Promise.all([stores.open(where), stores.open(where), stores.open(where)]);
    await a.insertServerJob(aJob());
    await a.claimServerJob('j1', 'dead', T0);
    await a.heartbeatServerJob('j1', 'dead', T0 + 1000);
    await a.recordServerJobDeployment('j1', 'dead', 'd-1');

    const by = (owner: string, atMs: number) => ({ owner, atMs, takeoverAfterMs: 15_000 });
    const seen = { id: 'j1', owner: 'dead', heartbeatAtMs: T0 + 1000 };
    // Not before the heartbeat is takeoverAfterMs old.
    expect(await b.takeOverServerJob(seen, by('b', T0 + 15_999))).toBe(false);
    // A stale read (the owner heartbeated since) loses.
    expect(await b.takeOverServerJob({ ...seen, heartbeatAtMs: T0 }, by('b', T0 + 20_000))).toBe(false);
    const won = await Promise.all([
      b.takeOverServerJob(seen, by('b', T0 + 20_000)),
      c.takeOverServerJob(seen, by('c', T0 + 20_000)),
    ]);

    expect(won.filter(Boolean)).toHaveLength(1);
    const survivor = won[0] ? 'b' : 'c';
    expect(await a.getServerJob('j1')).toMatchObject({
      state: 'running',
      owner: survivor,
      heartbeatAtMs: T0 + 20_000,
      deploymentId: 'd-1',
      takeovers: 1,
    });
    // The old owner, back from a pause, can no longer heartbeat, record or finish the job.
    expect(await a.heartbeatServerJob('j1', 'dead', T0 + 21_000)).toBe(false);
    expect(await a.recordServerJobDeployment('j1', 'dead', 'd-2')).toBe(false);
    expect(
      await a.finishServerJob('j1', 'dead', { state: 'failed', finishedAtMs: T0 + 21_000, error: 'x' }),
    ).toBe(false);
    expect(
      await a.finishServerJob('j1', survivor, { state: 'succeeded', finishedAtMs: T0 + 30_000, error: null }),
    ).toBe(true);
    expect(await a.getServerJob('j1')).toMatchObject({
      state: 'succeeded',
      finishedAtMs: T0 + 30_000,
      deploymentId: 'd-1',
    });
    expect(await a.heartbeatServerJob('j1', survivor, T0 + 31_000)).toBe(false);
  });

  it('puts a job back in the queue, and records the release a release job created', async () => {
    const store = await stores.open();
    await store.insertServerJob(aJob());
    await store.claimServerJob('j1', 'r1', T0);

    expect(await store.requeueServerJob('j1', 'r2')).toBe(false);
    expect(await store.requeueServerJob('j1', 'r1')).toBe(true);
    expect(await store.getServerJob('j1')).toMatchObject({
      state: 'queued',
      owner: null,
      heartbeatAtMs: null,
    });

    await store.insertServerJob(aJob({ id: 'rel', kind: 'release', environment: null, payload: {} }));
    await store.claimServerJob('rel', 'r1', T0);
    await store.finishServerJob('rel', 'r1', {
      state: 'succeeded',
      finishedAtMs: T0 + 5,
      error: null,
      release: '2.0.0',
    });
    expect(await store.getServerJob('rel')).toMatchObject({ state: 'succeeded', release: '2.0.0' });
  });

  it('keeps one row per replica, refreshed by its heartbeat and marked when it stops', async () => {
    const store = await stores.open();
    const replica = { id: 'r1', hostname: 'box', pid: 42, startedAtMs: T0, heartbeatAtMs: T0 };
    await store.heartbeatReplica(replica);
    await store.heartbeatReplica({ ...replica, heartbeatAtMs: T0 + 1000 });
    await store.heartbeatReplica({ ...replica, id: 'r0', pid: 7 });
    await store.stopReplica('r0', T0 + 2000);

    expect(await store.listReplicas()).toEqual([
      { id: 'r0', hostname: 'box', pid: 7, startedAtMs: T0, heartbeatAtMs: T0, stoppedAtMs: T0 + 2000 },
      { id: 'r1', hostname: 'box', pid: 42, startedAtMs: T0, heartbeatAtMs: T0 + 1000, stoppedAtMs: null },
    ]);
    expect(await store.getReplica('r1')).toMatchObject({ heartbeatAtMs: T0 + 1000 });
    expect(await store.getReplica('nobody')).toBeUndefined();
  });
});
