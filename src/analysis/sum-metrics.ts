import type { TargetMetrics } from '../agent/protocol.js';
import { sumHistograms } from '../core/latency-histogram.js';

/** One release's counters summed over its targets (on every host of the environment). */
export function sumMetrics(targets: TargetMetrics[], release: string): TargetMetrics {
  const first = targets[0];
  let requests = 0;
  let errors5xx = 0;
  let proxyErrors = 0;
  let inFlight = 0;
  for (const t of targets) {
    requests += t.requests;
    errors5xx += t.errors5xx;
    proxyErrors += t.proxyErrors;
    inFlight += t.inFlight;
  }
  return {
    targetId: first?.targetId ?? '',
    release,
    requests,
    errors5xx,
    proxyErrors,
    inFlight,
    latency: sumHistograms(targets.map((t) => t.latency)),
  };
}
