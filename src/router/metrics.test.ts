import { describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS_MS, TargetCounters } from './metrics.js';

describe('TargetCounters', () => {
  it('counts requests, 5xx, proxy errors and latency buckets', () => {
    const counters = new TargetCounters('app-v1-abc', 'v1');
    counters.record(200, 0.5, false);
    counters.record(503, 30, false);
    counters.record(502, 3, true);
    counters.record(101, null, false);
    const snap = counters.snapshot();
    expect(snap).toMatchObject({
      targetId: 'app-v1-abc',
      release: 'v1',
      requests: 4,
      errors5xx: 2,
      proxyErrors: 1,
    });
    expect(snap.latency.boundsMs).toEqual(LATENCY_BOUNDS_MS);
    expect(snap.latency.counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(snap.latency.counts[0]).toBe(1);
    expect(snap.latency.counts[2]).toBe(1);
    expect(snap.latency.counts[5]).toBe(1);
  });

  it('hands out copies, not its live arrays', () => {
    const counters = new TargetCounters('t', 'v1');
    const before = counters.snapshot();
    counters.record(200, 1, false);
    expect(before.latency.counts[0]).toBe(0);
    expect(counters.snapshot().latency.counts[0]).toBe(1);
  });
});
