import type { MonitorSample } from '../agent/monitor-protocol.js';
import type { MetricSampleRecord } from '../store/index.js';

/**
 * The series Slipway stores per environment (subject in brackets):
 * host.cpu, host.memory, host.disk (percent), host.load1, host.netRx, host.netTx (bytes/s) [''];
 * target.restarts, target.rssBytes, target.uptimeS [target id];
 * release.rps, release.eps (requests and 5xx per second), release.p50, release.p99 (ms) [release].
 * Only measured values become rows: a value the host could not give is left out, never filled in.
 */
export const SERIES = {
  cpu: 'host.cpu',
  memory: 'host.memory',
  disk: 'host.disk',
  load1: 'host.load1',
  netRx: 'host.netRx',
  netTx: 'host.netTx',
  restarts: 'target.restarts',
  rss: 'target.rssBytes',
  uptime: 'target.uptimeS',
  rps: 'release.rps',
  eps: 'release.eps',
  p50: 'release.p50',
  p99: 'release.p99',
} as const;

/** Turns one host's samples into store rows for `app` in `environment` (other apps' targets are left out). */
export function deriveSampleRows(
  app: string,
  environment: string,
  host: string,
  samples: readonly MonitorSample[],
): MetricSampleRecord[] {
  const rows: MetricSampleRecord[] = [];
  for (const s of samples) {
    const push = (metric: string, subject: string, value: number | null | undefined): void => {
      if (value === null || value === undefined || !Number.isFinite(value)) return;
      rows.push({ app, environment, host, metric, subject, resolution: 'raw', atMs: s.atMs, value });
    };
    push(SERIES.cpu, '', s.host.cpuPercent);
    push(SERIES.memory, '', s.host.memoryPercent);
    push(SERIES.disk, '', s.host.diskPercent);
    push(SERIES.load1, '', s.host.load1);
    push(SERIES.netRx, '', s.net?.rxBytesPerSec);
    push(SERIES.netTx, '', s.net?.txBytesPerSec);
    for (const t of s.targets) {
      if (t.app !== app) continue;
      push(SERIES.restarts, t.id, t.restarts);
      push(SERIES.rss, t.id, t.rssBytes);
      push(SERIES.uptime, t.id, t.uptimeMs === null ? null : t.uptimeMs / 1000);
    }
    for (const r of s.traffic) {
      if (r.app !== app) continue;
      push(SERIES.rps, r.release, r.requestsPerSec);
      push(SERIES.eps, r.release, r.errorsPerSec);
      push(SERIES.p50, r.release, r.p50Ms);
      push(SERIES.p99, r.release, r.p99Ms);
    }
  }
  return rows;
}
