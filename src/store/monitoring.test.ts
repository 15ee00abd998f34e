import { expect, it } from 'vitest';
import type { MetricSampleRecord } from './monitoring.js';
import { T0, describeEachStore } from './test-fixtures.js';

const sample = (o: Partial<MetricSampleRecord> = {}): MetricSampleRecord => ({
  app: 'shop',
  environment: 'production',
  host: 'web-1',
  metric: 'cpu',
  subject: '',
  resolution: 'raw',
  atMs: T0,
  value: 0.25,
  ...o,
});

describeEachStore('monitoring', (stores) => {
  it('stores a sample once per series and time, lists oldest first with fractions intact, and deletes old ones', async () => {
    const store = await stores.open();
    await store.insertSamples([
      sample({ atMs: T0 + 2000, value: 0.75 }),
      sample({ atMs: T0 }),
      sample({ atMs: T0 + 1000, value: 1.5 }),
      sample({ metric: 'rss', value: 123_456_789 }),
      sample({ resolution: '1m', value: 9 }),
    ]);
    await store.insertSamples([sample({ value: 99 })]);

    const cpu = await store.listSamples({
      app: 'shop',
      environment: 'production',
      metric: 'cpu',
      resolution: 'raw',
    });
    expect(cpu.map((s) => [s.atMs, s.value])).toEqual([
      [T0, 0.25],
      [T0 + 1000, 1.5],
      [T0 + 2000, 0.75],
    ]);
    const deleted = await store.deleteSamples({
      app: 'shop',
      environment: 'production',
      resolution: 'raw',
      beforeMs: T0 + 1500,
    });
    expect(deleted).toBe(3);
    const left = await store.listSamples({ app: 'shop', environment: 'production' });
    expect(left.map((s) => `${s.resolution}:${s.metric}:${s.value}`).sort()).toEqual([
      '1m:cpu:9',
      'raw:cpu:0.75',
    ]);
  });

  it('replaces a monitor state by key and adds up error counts per group, keeping the newest sample', async () => {
    const store = await stores.open();
    const state = {
      app: 'shop',
      environment: 'production',
      key: 'probe',
      state: 'ok',
      sinceMs: T0,
      updatedAtMs: T0,
    };
    await store.putMonitorState({ ...state, data: { streak: 1 } });
    await store.putMonitorState({ ...state, state: 'failing', updatedAtMs: T0 + 5, data: { streak: 2 } });
    await store.putMonitorState({ ...state, key: 'alert:p95', data: undefined });
    const group = {
      app: 'shop',
      environment: 'production',
      release: '1.0.0',
      kind: '5xx',
      fingerprint: 'GET / 500',
      count: 3,
      firstAtMs: T0,
      lastAtMs: T0,
      sample: ['first'],
    };
    await store.addErrors(group);
    await store.addErrors({ ...group, count: 4, firstAtMs: T0 + 9, lastAtMs: T0 + 9, sample: ['second'] });

    expect(await store.listMonitorStates('shop', 'production')).toEqual([
      { ...state, key: 'alert:p95', data: undefined },
      { ...state, state: 'failing', updatedAtMs: T0 + 5, data: { streak: 2 } },
    ]);
    expect(await store.listErrorGroups('shop', 'production')).toEqual([
      { ...group, count: 7, lastAtMs: T0 + 9, sample: ['second'] },
    ]);
  });

  it('lists monitor states by key byte by byte, whatever the database’s collation', async () => {
    const store = await stores.open();
    for (const key of ['probe', 'alert:p95', 'Probe', 'crash-loop:b', 'crash-loop:B', 'alert:P95'])
      await store.putMonitorState({
        app: 'a',
        environment: 'e',
        key,
        state: 'ok',
        sinceMs: T0,
        updatedAtMs: T0,
        data: undefined,
      });

    const keys = (await store.listMonitorStates('a', 'e')).map((s) => s.key);

    expect(keys).toEqual(['Probe', 'alert:P95', 'alert:p95', 'crash-loop:B', 'crash-loop:b', 'probe']);
  });
});
