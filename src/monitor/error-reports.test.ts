import { describe, expect, it } from 'vitest';
import type { MonitorSample } from '../agent/monitor-protocol.js';
import { deriveErrorReports } from './error-reports.js';
import { deriveSampleRows } from './sample-rows.js';

const host = {
  cpuPercent: 10,
  memoryPercent: 50,
  memoryUsedBytes: 1,
  memoryTotalBytes: 2,
  load1: 0.5,
  load5: 0.4,
  load15: 0.3,
  diskPercent: null,
  diskFreeBytes: null,
  netRxBytes: 1,
  netTxBytes: 1,
};

function sample(atMs: number, errors: number, exit = false): MonitorSample {
  return {
    atMs,
    intervalMs: 1_000,
    host,
    net: null,
    targets: [
      {
        id: 'shop-2.0-abc',
        app: 'shop',
        release: '2.0',
        state: exit ? 'backoff' : 'running',
        restarts: exit ? 1 : 0,
        rssBytes: exit ? null : 4096,
        uptimeMs: exit ? null : 500,
        exit: exit ? { code: 4, signal: null, atMs: atMs - 10, stderrTail: 'boom' } : null,
      },
      {
        id: 'other-1-x',
        app: 'other',
        release: '1',
        state: 'running',
        restarts: 9,
        rssBytes: 1,
        uptimeMs: 1,
        exit: null,
      },
    ],
    traffic: [
      {
        app: 'shop',
        release: '2.0',
        requestsPerSec: 20,
        errorsPerSec: errors,
        requests: 20,
        errors5xx: errors,
        p50Ms: 3,
        p99Ms: 40,
        recent5xx: errors > 0 ? [{ atMs, method: 'GET', path: '/cart', status: 502 }] : [],
      },
    ],
  };
}

describe('deriveErrorReports', () => {
  it('counts 5xx exactly per release, keeps sample requests, and reports bursts per host', () => {
    const { groups, bursts } = deriveErrorReports(
      'shop',
      [
        { host: 'web1', atMs: 3_000, samples: [sample(1_000, 4), sample(2_000, 7, true)], logMatches: [] },
        {
          host: 'web2',
          atMs: 3_000,
          samples: [sample(1_000, 2)],
          logMatches: [
            { targetId: 'shop-2.0-abc', release: '2.0', stream: 'err', line: 'ERROR x', pattern: '^ERROR' },
          ],
        },
      ],
      10,
    );
    expect(groups).toEqual([
      expect.objectContaining({ release: '2.0', kind: '5xx', count: 13, firstAtMs: 1_000, lastAtMs: 2_000 }),
      expect.objectContaining({
        kind: 'crash',
        fingerprint: 'exit code 4',
        count: 1,
        sample: { targetId: 'shop-2.0-abc', stderrTail: 'boom' },
      }),
      expect.objectContaining({ kind: 'log', fingerprint: '^ERROR', count: 1 }),
    ]);
    expect(bursts).toEqual([
      expect.objectContaining({
        host: 'web1',
        release: '2.0',
        errors: 11,
        requests: 40,
        sinceMs: 0,
        untilMs: 2_000,
      }),
    ]);
  });
});

describe('deriveSampleRows', () => {
  it('stores only measured values of this app', () => {
    const rows = deriveSampleRows('shop', 'prod', 'web1', [sample(1_000, 1, true)]);
    const metrics = rows.map((r) => `${r.metric}[${r.subject}]=${r.value}`);
    expect(metrics).toEqual([
      'host.cpu[]=10',
      'host.memory[]=50',
      'host.load1[]=0.5',
      'target.restarts[shop-2.0-abc]=1',
      'release.rps[2.0]=20',
      'release.eps[2.0]=1',
      'release.p50[2.0]=3',
      'release.p99[2.0]=40',
    ]);
  });
});
