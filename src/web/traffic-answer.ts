import type { TrafficView } from '../server/api-types.js';
import type { TrafficSnapshot } from './traffic-rates.js';

/**
 * GET /api/v1/environments/:env/traffic (per host, its targets' cumulative router counters at `atMs`) as the
 * rate arithmetic reads it: one flat list of targets named by host and id. A host the server could not reach
 * has no targets, so it adds nothing to that interval. Pure.
 */
export function toTrafficSnapshot(answer: TrafficView): TrafficSnapshot {
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
