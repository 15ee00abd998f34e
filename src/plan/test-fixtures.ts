import type { ReleaseRuntime } from './plan-input.js';

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
