import { describe, expect, it } from 'vitest';
import type { TargetMetrics } from '../agent/protocol.js';
import { deriveWindow, windowOf } from './window.js';

const boundsMs = [10, 100];

function metrics(overrides: Partial<TargetMetrics> & { counts?: number[] }): TargetMetrics {
  const { counts = [0, 0, 0], ...rest } = overrides;
  return {
    targetId: 'web-v2-1',
    release: 'v2',
    requests: 0,
    errors5xx: 0,
    proxyErrors: 0,
    inFlight: 0,
    latency: { boundsMs, counts },
    ...rest,
  };
}

describe('deriveWindow', () => {
  it('is the difference between the two snapshots', () => {
    const baseline = metrics({ requests: 100, errors5xx: 4, proxyErrors: 1, counts: [60, 38, 2] });
    const current = metrics({
      requests: 250,
      errors5xx: 10,
      proxyErrors: 1,
      inFlight: 3,
      counts: [150, 95, 5],
    });
    expect(deriveWindow(baseline, current)).toEqual({
      requests: 150,
      errors5xx: 6,
      proxyErrors: 0,
      latency: { boundsMs, counts: [90, 57, 3] },
    });
  });

  it('is empty when nothing happened since the baseline', () => {
    const snapshot = metrics({ requests: 7, errors5xx: 1, counts: [7, 0, 0] });
    expect(deriveWindow(snapshot, snapshot)).toEqual({
      requests: 0,
      errors5xx: 0,
      proxyErrors: 0,
      latency: { boundsMs, counts: [0, 0, 0] },
    });
  });

  it.each([
    ['the request counter went down', metrics({ requests: 20, errors5xx: 0, counts: [20, 0, 0] })],
    ['the error counter went down', metrics({ requests: 600, errors5xx: 1, counts: [570, 29, 1] })],
    ['a latency bucket went down', metrics({ requests: 600, errors5xx: 9, counts: [590, 10, 0] })],
    [
      'it is another target',
      metrics({ targetId: 'web-v2-2', requests: 600, errors5xx: 9, counts: [598, 40, 2] }),
    ],
  ])('takes the whole current snapshot when %s', (_why, current) => {
    const baseline = metrics({ requests: 500, errors5xx: 5, counts: [470, 29, 1] });
    expect(deriveWindow(baseline, current)).toEqual(windowOf(current));
  });

  it('takes the whole current snapshot when the histogram layout changed', () => {
    const baseline = metrics({ requests: 5, counts: [5, 0, 0] });
    const current = {
      ...metrics({ requests: 9 }),
      latency: { boundsMs: [10, 50, 100], counts: [6, 3, 0, 0] },
    };
    expect(deriveWindow(baseline, current)).toEqual(windowOf(current));
  });

  it('does not share arrays with its inputs', () => {
    const current = metrics({ requests: 1, counts: [1, 0, 0] });
    const window = deriveWindow(metrics({}), current);
    window.latency.counts[0] = 99;
    expect(current.latency.counts[0]).toBe(1);
  });
});
