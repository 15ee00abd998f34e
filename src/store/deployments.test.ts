import { expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { T0, aDeployment, describeEachStore } from './test-fixtures.js';

describeEachStore('deployments', (stores) => {
  it('creates a running deployment (no outcome yet) and reads back its plan', async () => {
    const store = await stores.open();
    const deployment = aDeployment({ previousVersion: '0.9.0', reason: 'fix checkout' });

    await store.createDeployment(deployment);

    expect(await store.getDeployment('d-0001')).toEqual({
      ...deployment,
      outcome: null,
      finishedAtMs: null,
      error: null,
    });
  });

  it('refuses a second deployment with the same id', async () => {
    const store = await stores.open();
    await store.createDeployment(aDeployment());
    await expect(store.createDeployment(aDeployment({ app: 'blog' }))).rejects.toBeInstanceOf(ConflictError);
    expect((await store.getDeployment('d-0001'))?.app).toBe('shop');
  });

  it('answers undefined for an unknown deployment', async () => {
    const store = await stores.open();
    expect(await store.getDeployment('d-nope')).toBeUndefined();
  });

  it('lists newest first, filtered by app and environment, up to the limit', async () => {
    const store = await stores.open();
    await store.createDeployment(aDeployment({ id: 'd-1', environment: 'staging', createdAtMs: T0 }));
    await store.createDeployment(aDeployment({ id: 'd-2', environment: 'production', createdAtMs: T0 + 1 }));
    await store.createDeployment(aDeployment({ id: 'd-3', environment: 'staging', createdAtMs: T0 + 2 }));
    await store.createDeployment(aDeployment({ id: 'd-4', environment: 'production', createdAtMs: T0 + 3 }));
    await store.createDeployment(aDeployment({ id: 'd-blog', app: 'blog', createdAtMs: T0 + 4 }));

    const ids = async (query: Parameters<typeof store.listDeployments>[0]) =>
      (await store.listDeployments(query)).map((d) => d.id);

    expect(await ids({ app: 'shop', limit: 10 })).toEqual(['d-4', 'd-3', 'd-2', 'd-1']);
    expect(await ids({ app: 'shop', environment: 'staging', limit: 10 })).toEqual(['d-3', 'd-1']);
    expect(await ids({ app: 'shop', limit: 2 })).toEqual(['d-4', 'd-3']);
  });

  it('records the outcome when the executor finishes', async () => {
    const store = await stores.open();
    await store.createDeployment(aDeployment({ kind: 'rollback' }));

    await store.finishDeployment('d-0001', {
      outcome: 'failed',
      finishedAtMs: T0 + 500,
      error: 'health check failed',
    });

    expect(await store.getDeployment('d-0001')).toMatchObject({
      kind: 'rollback',
      outcome: 'failed',
      finishedAtMs: T0 + 500,
      error: 'health check failed',
    });
  });

  it('accepts the same outcome twice but never rewrites a finished deployment', async () => {
    const store = await stores.open();
    await store.createDeployment(aDeployment());
    await store.finishDeployment('d-0001', { outcome: 'succeeded', finishedAtMs: T0 + 1 });

    await store.finishDeployment('d-0001', { outcome: 'succeeded', finishedAtMs: T0 + 2 });
    const rewrite = store.finishDeployment('d-0001', { outcome: 'aborted', finishedAtMs: T0 + 3 });

    await expect(rewrite).rejects.toBeInstanceOf(ConflictError);
    expect(await store.getDeployment('d-0001')).toMatchObject({ outcome: 'succeeded', finishedAtMs: T0 + 1 });
  });

  it('refuses to finish an unknown deployment', async () => {
    const store = await stores.open();
    await expect(
      store.finishDeployment('d-nope', { outcome: 'succeeded', finishedAtMs: T0 }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describeEachStore('deployment steps', (stores) => {
  it('upserts a step: later patches update the fields they name and keep the others', async () => {
    const store = await stores.open();
    await store.createDeployment(aDeployment());

    await store.recordStep('d-0001', 0, { status: 'running', startedAtMs: T0 + 10 });
    await store.recordStep('d-0001', 0, { status: 'failed', finishedAtMs: T0 + 20, error: 'exit 1' });
    await store.recordStep('d-0001', 0, { status: 'succeeded', error: null, output: { port: 4001 } });

    expect(await store.listSteps('d-0001')).toEqual([
      {
        deploymentId: 'd-0001',
        index: 0,
        status: 'succeeded',
        startedAtMs: T0 + 10,
        finishedAtMs: T0 + 20,
        error: null,
        output: { port: 4001 },
      },
    ]);
  });

  it('lists steps ordered by index, whatever order they were recorded in, and per deployment', async () => {
    const store = await stores.open();
    await store.createDeployment(aDeployment({ id: 'd-1' }));
    await store.createDeployment(aDeployment({ id: 'd-2' }));
    for (const index of [2, 0, 10, 1]) await store.recordStep('d-1', index, { status: 'pending' });
    await store.recordStep('d-2', 0, { status: 'skipped' });

    const steps = await store.listSteps('d-1');

    expect(steps.map((s) => s.index)).toEqual([0, 1, 2, 10]);
    expect(steps.every((s) => s.status === 'pending' && s.output === undefined)).toBe(true);
    expect((await store.listSteps('d-2')).map((s) => s.status)).toEqual(['skipped']);
  });

  it('refuses a step of an unknown deployment', async () => {
    const store = await stores.open();
    await expect(store.recordStep('d-nope', 0, { status: 'running' })).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.listSteps('d-nope')).toEqual([]);
  });

  it('records an error that quotes output with a NUL character (PostgreSQL cannot store NUL: U+FFFD there)', async () => {
    const store = await stores.open();
    await store.createDeployment(aDeployment());
    const error = 'exit 139: stderr \u0000\u0000core dumped';

    await store.recordStep('d-0001', 0, { status: 'failed', error, output: { tail: 'a\u0000b' } });
    await store.finishDeployment('d-0001', { outcome: 'failed', finishedAtMs: T0 + 1, error });
    await store.appendEvent({
      atMs: T0,
      actor: 'ada',
      app: 'shop',
      environment: null,
      kind: 'deploy.failed',
      message: error,
    });

    const stored = stores.kind === 'sqlite' ? error : error.replaceAll('\u0000', '\uFFFD');
    expect(await store.listSteps('d-0001')).toMatchObject([{ error: stored, output: { tail: 'a\u0000b' } }]);
    expect((await store.getDeployment('d-0001'))?.error).toBe(stored);
    expect((await store.listEvents({ app: 'shop', limit: 1 }))[0]?.message).toBe(stored);
  });
});
