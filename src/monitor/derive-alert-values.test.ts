import { describe, expect, it } from 'vitest';
import type { MetricSampleRecord } from '../store/index.js';
import { deriveAlertValues } from './derive-alert-values.js';

const s = (
  host: string,
  metric: string,
  subject: string,
  atMs: number,
  value: number,
): MetricSampleRecord => ({
  app: 'a',
  environment: 'e',
  host,
  metric,
  subject,
  resolution: 'raw',
  atMs,
  value,
});

describe('deriveAlertValues', () => {
  it('computes every metric from the window, and null where there is no data', () => {
    const rows = [
      s('h1', 'release.rps', '1.0', 1, 10),
      s('h1', 'release.eps', '1.0', 1, 1),
      s('h2', 'release.rps', '1.0', 1, 30),
      s('h2', 'release.eps', '1.0', 1, 0),
      s('h1', 'release.p99', '1.0', 1, 120),
      s('h2', 'release.p99', '1.0', 1, 80),
      s('h1', 'host.cpu', '', 1, 90),
      s('h1', 'host.cpu', '', 2, 20),
      s('h2', 'host.cpu', '', 2, 40),
      s('h1', 'target.restarts', 't1', 1, 3),
      s('h1', 'target.restarts', 't1', 2, 5),
      s('h2', 'target.restarts', 't2', 2, 7),
    ];
    expect(deriveAlertValues(rows, { latencyMs: 12, consecutiveFailures: 0 })).toEqual({
      errorRate: 2.5,
      p99: 120,
      requestRate: 20,
      cpu: 40,
      memory: null,
      disk: null,
      load: null,
      restarts: 2,
      probeLatency: 12,
      probeFailures: 0,
      jobFailures: null,
    });
  });

  it('has no error rate without requests (no data is not 0%)', () => {
    expect(deriveAlertValues([], null).errorRate).toBeNull();
  });
});
