import { describe, expect, it } from 'vitest';
import type { TargetMetrics } from '../agent/protocol.js';
import { deriveAnalysisWindow, type MetricsSnapshot } from './analysis-window.js';

const boundsMs = [10, 100];

function counted(targetId: string, requests: number, errors5xx: number): TargetMetrics {
  return {
    targetId,
    release: targetId,
    requests,
    errors5xx,
    proxyErrors: 0,
    inFlight: 0,
    latency: { boundsMs, counts: [requests, 0, 0] },
  };
}

/** Cumulative counters: [canary requests, canary 5xx, stable requests, stable 5xx]. */
function snap([cr, ce, sr, se]: [number, number, number, number]): MetricsSnapshot {
  return { canary: counted('canary', cr, ce), stable: counted('stable', sr, se) };
}

type Counts = [number, number, number, number];

const cases: Array<{ name: string; changes: Counts[]; current: Counts; window: Counts | null }> = [
  { name: 'no traffic change yet: nothing to judge', changes: [], current: [50, 0, 500, 0], window: null },
  {
    name: 'one change (traffic started): everything since it',
    changes: [[0, 0, 100, 0]],
    current: [60, 1, 640, 2],
    window: [60, 1, 540, 2],
  },
  {
    // 10%: 200 good canary requests; then setWeight 50: 40 requests, 20 of them 5xx.
    name: 'good at 10%, bad at 50%: only what came after the last change counts',
    changes: [
      [0, 0, 0, 0],
      [200, 0, 1800, 0],
    ],
    current: [240, 20, 1840, 0],
    window: [40, 20, 40, 0],
  },
  {
    name: 'many samples before the change, none since: an empty window (too few to pass)',
    changes: [
      [0, 0, 0, 0],
      [500, 0, 4500, 0],
    ],
    current: [500, 0, 4500, 0],
    window: [0, 0, 0, 0],
  },
  {
    name: 'a router restarted since the change (counters went down): the whole of current',
    changes: [
      [0, 0, 0, 0],
      [300, 0, 300, 0],
    ],
    current: [30, 3, 25, 0],
    window: [30, 3, 25, 0],
  },
];

describe('deriveAnalysisWindow', () => {
  it.each(cases)('$name', ({ changes, current, window }) => {
    const derived = deriveAnalysisWindow(changes.map(snap), snap(current));
    if (window === null) {
      expect(derived).toBeNull();
      return;
    }
    const [cr, ce, sr, se] = window;
    expect(derived).toEqual({
      canary: { requests: cr, errors5xx: ce, proxyErrors: 0, latency: { boundsMs, counts: [cr, 0, 0] } },
      stable: { requests: sr, errors5xx: se, proxyErrors: 0, latency: { boundsMs, counts: [sr, 0, 0] } },
    });
  });
});
