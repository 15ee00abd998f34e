import type { LogMatch, MonitorSample } from '../agent/monitor-protocol.js';
import type { Recent5xx } from '../agent/protocol.js';

export interface ErrorOccurrences {
  release: string;
  kind: '5xx' | 'crash' | 'log';
  fingerprint: string;
  count: number;
  firstAtMs: number;
  lastAtMs: number;
  sample: unknown;
}

export interface ErrorBurst {
  host: string;
  release: string;
  errors: number;
  requests: number;
  sinceMs: number;
  untilMs: number;
  samples: Recent5xx[];
}

/**
 * Groups what one round collected into error reports per release (pure): 5xx answers (counted exactly, with
 * the last requests as samples), exits of targets the sampler saw (with the stderr tail), and log lines that
 * matched a configured pattern. Bursts are releases with at least `minErrors` 5xx answers on a host this round.
 */
export function deriveErrorReports(
  app: string,
  batches: ReadonlyArray<{
    host: string;
    samples: readonly MonitorSample[];
    logMatches: readonly LogMatch[];
    atMs: number;
  }>,
  minErrors: number,
): { groups: ErrorOccurrences[]; bursts: ErrorBurst[] } {
  const groups = new Map<string, ErrorOccurrences>();
  const add = (o: ErrorOccurrences): void => {
    const key = `${o.release}\u0000${o.kind}\u0000${o.fingerprint}`;
    const seen = groups.get(key);
    if (!seen) groups.set(key, o);
    else {
      seen.count += o.count;
      seen.firstAtMs = Math.min(seen.firstAtMs, o.firstAtMs);
      seen.lastAtMs = Math.max(seen.lastAtMs, o.lastAtMs);
      seen.sample = o.lastAtMs >= seen.lastAtMs ? o.sample : seen.sample;
    }
  };
  const bursts: ErrorBurst[] = [];
  for (const batch of batches) {
    const perRelease = new Map<string, ErrorBurst>();
    for (const s of batch.samples) {
      for (const t of s.traffic) {
        if (t.app !== app || t.errors5xx === 0) continue;
        add({
          release: t.release,
          kind: '5xx',
          fingerprint: '5xx answers',
          count: t.errors5xx,
          firstAtMs: s.atMs,
          lastAtMs: s.atMs,
          sample: t.recent5xx,
        });
        const b = perRelease.get(t.release) ?? {
          host: batch.host,
          release: t.release,
          errors: 0,
          requests: 0,
          sinceMs: s.atMs - s.intervalMs,
          untilMs: s.atMs,
          samples: [],
        };
        b.errors += t.errors5xx;
        b.requests += t.requests;
        b.untilMs = s.atMs;
        b.samples = [...b.samples, ...t.recent5xx].slice(-5);
        perRelease.set(t.release, b);
      }
      for (const t of s.targets) {
        if (t.app !== app || !t.exit) continue;
        add({
          release: t.release,
          kind: 'crash',
          fingerprint:
            t.exit.code !== null ? `exit code ${t.exit.code}` : `killed by ${t.exit.signal ?? 'a signal'}`,
          count: 1,
          firstAtMs: t.exit.atMs,
          lastAtMs: t.exit.atMs,
          sample: { targetId: t.id, stderrTail: t.exit.stderrTail },
        });
      }
    }
    for (const m of batch.logMatches) {
      add({
        release: m.release,
        kind: 'log',
        fingerprint: m.pattern,
        count: 1,
        firstAtMs: batch.atMs,
        lastAtMs: batch.atMs,
        sample: { targetId: m.targetId, stream: m.stream, line: m.line },
      });
    }
    bursts.push(...[...perRelease.values()].filter((b) => b.errors >= minErrors));
  }
  return { groups: [...groups.values()], bursts };
}
