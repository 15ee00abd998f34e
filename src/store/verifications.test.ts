import { expect, it } from 'vitest';
import { getVerificationGate } from '../verify/verification-gate.js';
import type { VerificationCheck } from '../verify/verification-check.js';
import type { NewVerification } from './verifications.js';
import { T0, describeEachStore } from './test-fixtures.js';

const check = (o: Partial<VerificationCheck> = {}): VerificationCheck => ({
  name: 'GET /',
  kind: 'smoke',
  passed: true,
  measured: { status: 200 },
  message: '200 in 3ms',
  ...o,
});
const perf = { requests: 900, requestsPerSecond: 300, p50Ms: 3, p95Ms: 9, p99Ms: 14, errorRate: 0 };

function aVerification(o: Partial<NewVerification> = {}): NewVerification {
  return {
    app: 'hello',
    environment: 'staging',
    release: '1.0.0',
    deploymentId: 'd-1',
    atMs: T0,
    passed: true,
    checks: [check()],
    performance: perf,
    ...o,
  };
}

describeEachStore('verifications', (stores) => {
  it('reads back every field of the newest verification of a release', async () => {
    const store = await stores.open();
    await store.recordVerification(aVerification({ passed: false, checks: [check({ passed: false })] }));
    const id = await store.recordVerification(aVerification({ atMs: T0 + 1, deploymentId: null }));
    expect(
      await store.latestVerification({ app: 'hello', environment: 'staging', release: '1.0.0' }),
    ).toEqual({
      id,
      ...aVerification({ atMs: T0 + 1, deploymentId: null }),
    });
    expect(
      await store.latestVerification({ app: 'hello', environment: 'production', release: '1.0.0' }),
    ).toBe(undefined);
  });

  it('the baseline is the newest passing run of another release in the same environment that measured performance', async () => {
    const store = await stores.open();
    await store.recordVerification(aVerification({ release: '1.0.0' }));
    await store.recordVerification(aVerification({ release: '1.1.0', performance: null }));
    await store.recordVerification(aVerification({ release: '2.0.0', passed: false }));
    await store.recordVerification(aVerification({ release: '3.0.0', environment: 'production' }));
    await store.recordVerification(aVerification({ release: '4.0.0' }));
    const q = { app: 'hello', environment: 'staging' };
    expect((await store.findPerformanceBaseline({ ...q, excludeRelease: '5.0.0' }))?.release).toBe('4.0.0');
    // A release is never its own baseline (a re-run of `slipway verify` compares with the one before).
    expect((await store.findPerformanceBaseline({ ...q, excludeRelease: '4.0.0' }))?.release).toBe('1.0.0');
    expect(await store.findPerformanceBaseline({ ...q, app: 'blog', excludeRelease: 'x' })).toBe(undefined);
  });
});

describeEachStore('getVerificationGate', (stores) => {
  const q = { app: 'hello', environment: 'staging', release: '2.0.0' };

  it('is none before any verification, failed with the failed checks, then passed once a re-run passes', async () => {
    const store = await stores.open();
    expect(await getVerificationGate(store, q)).toEqual({ status: 'none', failures: [] });
    await store.recordVerification(
      aVerification({
        release: '2.0.0',
        passed: false,
        checks: [
          check(),
          check({ kind: 'security', name: '/.env', passed: false, message: 'served with 200' }),
          check({ kind: 'performance', name: 'load /', passed: false, message: 'p95 300ms rose from 9ms' }),
        ],
      }),
    );
    expect(await getVerificationGate(store, q)).toEqual({
      status: 'failed',
      failures: ['security /.env: served with 200', 'performance load /: p95 300ms rose from 9ms'],
    });
    // Another environment or release is not this gate.
    expect((await getVerificationGate(store, { ...q, environment: 'production' })).status).toBe('none');
    await store.recordVerification(aVerification({ release: '2.0.0', atMs: T0 + 5 }));
    expect(await getVerificationGate(store, q)).toEqual({ status: 'passed', failures: [] });
  });
});
