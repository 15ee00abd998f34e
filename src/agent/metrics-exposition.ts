import type { TargetMetrics } from './protocol.js';

/**
 * The router's per-target metrics in the Prometheus text format (0.0.4). Pure. Counters are cumulative per
 * target; a target that leaves the router disappears from the output (Prometheus treats that as a reset).
 */
export function renderPrometheusMetrics(routes: Array<{ app: string; targets: TargetMetrics[] }>): string {
  const lines: string[] = [];
  const family = (
    name: string,
    type: string,
    help: string,
    emit: (labels: string, t: TargetMetrics) => void,
  ): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const route of routes) {
      for (const t of route.targets)
        emit(`app="${escape(route.app)}",release="${escape(t.release)}",target="${escape(t.targetId)}"`, t);
    }
  };
  family('slipway_router_requests_total', 'counter', 'Requests the router answered, per target.', (l, t) =>
    lines.push(`slipway_router_requests_total{${l}} ${t.requests}`),
  );
  family(
    'slipway_router_errors_total',
    'counter',
    'Answers with a 5xx status (including proxy errors), per target.',
    (l, t) => lines.push(`slipway_router_errors_total{${l}} ${t.errors5xx}`),
  );
  family(
    'slipway_router_proxy_errors_total',
    'counter',
    'Requests the target did not answer (502 from the router).',
    (l, t) => lines.push(`slipway_router_proxy_errors_total{${l}} ${t.proxyErrors}`),
  );
  family('slipway_router_in_flight', 'gauge', 'Requests in flight, per target.', (l, t) =>
    lines.push(`slipway_router_in_flight{${l}} ${t.inFlight}`),
  );
  family('slipway_router_request_duration_seconds', 'histogram', 'Time to answer, per target.', (l, t) => {
    let cumulative = 0;
    t.latency.boundsMs.forEach((bound, i) => {
      cumulative += t.latency.counts[i] ?? 0;
      lines.push(`slipway_router_request_duration_seconds_bucket{${l},le="${bound / 1000}"} ${cumulative}`);
    });
    cumulative += t.latency.counts[t.latency.boundsMs.length] ?? 0;
    lines.push(`slipway_router_request_duration_seconds_bucket{${l},le="+Inf"} ${cumulative}`);
    lines.push(`slipway_router_request_duration_seconds_sum{${l}} ${(t.latency.sumMs ?? 0) / 1000}`);
    lines.push(`slipway_router_request_duration_seconds_count{${l}} ${cumulative}`);
  });
  return `${lines.join('\n')}\n`;
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
