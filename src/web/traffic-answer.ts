import type { TrafficSnapshot } from './traffic-rates.js';

/**
 * GET /api/v1/environments/:env/traffic as the dashboard reads it: per host, its targets' cumulative router
 * counters at `atMs`. A host the server could not reach carries an error and no targets.
 */
export interface TrafficAnswer {
  atMs: number;
  hosts: {
    host: string;
    error?: string | null;
    targets: {
      targetId: string;
      release: string;
      requests: number;
      errors5xx: number;
      latency: { boundsMs: number[]; counts: number[] };
    }[];
  }[];
}

export function toTrafficSnapshot(answer: TrafficAnswer): TrafficSnapshot {
  return {
    atMs: answer.atMs,
    targets: answer.hosts.flatMap((h) =>
      h.targets.map((t) => ({
        host: h.host,
        targetId: t.targetId,
        release: t.release,
        requests: t.requests,
        errors5xx: t.errors5xx,
        latency: t.latency,
      })),
    ),
  };
}
