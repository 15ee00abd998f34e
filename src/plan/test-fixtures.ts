import type { DeployInput, HostObservation, ReleaseRuntime, RollingStrategy } from './plan-input.js';
import type { AnalysisPlan } from './steps.js';

/**
 * A release as the planners see it, for tests: a hash derived from the version, the example's command and health
 * check; `overrides` for what a test cares about.
 */
export function releaseRuntime(version: string, overrides: Partial<ReleaseRuntime> = {}): ReleaseRuntime {
  return {
    version,
    sha256: version.replace(/\W/g, '').padEnd(64, 'a'),
    artifact: `/state/artifacts/${version}.tar.gz`,
    command: 'node server.js',
    env: {},
    secretNames: [],
    healthCheck: {
      path: '/healthz',
      intervalMs: 500,
      timeoutMs: 2000,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    },
    startTimeoutMs: 20_000,
    stopTimeoutMs: 10_000,
    restart: { initialBackoffMs: 200, maxBackoffMs: 10_000 },
    ...overrides,
  };
}

/** A host whose router serves `release` from its one target `targetId`, as the hosts are observed. */
export function servingHost(host: string, release: string, targetId: string): HostObservation {
  return {
    host,
    active: { targetId, release },
    targets: [{ targetId, release, state: 'running', stopAtMs: null }],
  };
}

/** Canary analysis settings (units resolved) for tests; `overrides` for what a test cares about. */
export function analysisPlan(overrides: Partial<AnalysisPlan> = {}): AnalysisPlan {
  return {
    intervalMs: 500,
    minRequests: 50,
    confidence: 0.99,
    maxErrorRate: 0.05,
    errorRateTolerance: 0.01,
    maxP99Ms: null,
    latencyTolerance: 0.2,
    latencyMinDifferenceMs: 10,
    probe: null,
    checks: [],
    ...overrides,
  };
}

/**
 * A blue/green deploy of 2.0.0 to `production` on the local host, where 1.0.0 serves from hello-1.0.0-old111:
 * the planners' usual input, for tests; `overrides` for what a test cares about.
 */
export function deployInput(overrides: Partial<DeployInput> = {}): DeployInput {
  return {
    app: 'hello',
    environment: 'production',
    kind: 'deploy',
    deploymentId: 'dtest000abc123',
    hosts: ['local'],
    publicPort: 8420,
    bindAddress: '127.0.0.1',
    metricsPort: null,
    edge: null,
    strategy: { kind: 'blue-green', keepWarmMs: 300_000, drainTimeoutMs: 10_000 },
    release: releaseRuntime('2.0.0'),
    previousRelease: releaseRuntime('1.0.0'),
    observed: [servingHost('local', '1.0.0', 'hello-1.0.0-old111')],
    retainReleases: 5,
    nowMs: Date.UTC(2026, 10, 26, 12),
    ...overrides,
  };
}

/** A rolling update one host at a time, no budget, batches rolled back on failure: the tests' usual rolling. */
export const ROLLING_ONE_BY_ONE: RollingStrategy = {
  kind: 'rolling',
  batchSize: 1,
  maxUnavailable: null,
  pauseBetweenBatchesMs: 0,
  failureBudget: 0,
  onBatchFailure: 'rollback-batch',
  keepWarmMs: 60_000,
  drainTimeoutMs: 5_000,
};
