import { describe, expect, it } from 'vitest';
import { describeStep } from './describe-step.js';
import type { Step } from './steps.js';

describe('describeStep', () => {
  const waitHealthy: Step = {
    kind: 'wait-healthy',
    host: 'web1',
    targetId: 'hello-2.0.0-abc123',
    release: '2.0.0',
    path: '/ready',
    timeoutMs: 45_000,
    healthCheck: {
      path: '/ready',
      intervalMs: 250,
      timeoutMs: 1500,
      healthyThreshold: 3,
      unhealthyThreshold: 5,
    },
  };

  it('shows how a health check runs: path, interval, timeout, both thresholds and the start timeout', () => {
    expect(describeStep(waitHealthy)).toBe(
      'health check hello-2.0.0-abc123 on web1: GET /ready every 250ms (timeout 1.5s) until 3 checks in a row ' +
        'pass, up to 45s; unhealthy after 5 failed checks in a row',
    );
  });

  it('still describes a step of a plan recorded before the check settings were part of it', () => {
    const { healthCheck: _omitted, ...older } = waitHealthy;
    expect(describeStep(older)).toBe(
      'health check hello-2.0.0-abc123 on web1: GET /ready until healthy (up to 45s)',
    );
  });
});
