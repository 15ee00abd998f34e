import type { JobState } from '../jobs/job-runner.js';

/** Upper bounds of the request duration histogram, in seconds (Prometheus' usual HTTP buckets). */
export const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface RouteSeries {
  /** Requests by status code. */
  byStatus: Map<number, number>;
  /** Cumulative counts per bucket of DURATION_BUCKETS_S, then +Inf. */
  buckets: number[];
  sumS: number;
  count: number;
}

/** What /metrics reads at the moment it answers, besides the request counters. */
export interface MetricsGauges {
  sseClients: number;
  jobsByState: Partial<Record<JobState, number>>;
  residentBytes: number;
  uptimeS: number;
  replica: string;
  /** Replicas of the store that have not stopped, with the seconds since their last heartbeat. */
  replicas: ReadonlyArray<{ id: string; heartbeatAgeS: number }>;
}

/**
 * The server's own counters: requests by route pattern (not the raw path, so ids do not explode the series),
 * method and status, and a duration histogram per route. Rendering is pure (see renderMetrics).
 */
export class ServerMetrics {
  readonly #routes = new Map<string, RouteSeries>();

  observe(method: string, route: string, status: number, durationS: number): void {
    const key = `${method} ${route}`;
    let series = this.#routes.get(key);
    if (!series) {
      series = { byStatus: new Map(), buckets: DURATION_BUCKETS_S.map(() => 0).concat(0), sumS: 0, count: 0 };
      this.#routes.set(key, series);
    }
    series.byStatus.set(status, (series.byStatus.get(status) ?? 0) + 1);
    for (const [i, bound] of DURATION_BUCKETS_S.entries())
      if (durationS <= bound) series.buckets[i] = (series.buckets[i] ?? 0) + 1;
    series.buckets[DURATION_BUCKETS_S.length] = (series.buckets[DURATION_BUCKETS_S.length] ?? 0) + 1;
    series.sumS += durationS;
    series.count += 1;
  }

  render(gauges: MetricsGauges): string {
    return renderMetrics(this.#routes, gauges);
  }
}

/** Prometheus text exposition format 0.0.4. */
export function renderMetrics(routes: ReadonlyMap<string, RouteSeries>, gauges: MetricsGauges): string {
  const lines: string[] = [];
  const keys = [...routes.keys()].sort();
  const split = (key: string): { method: string; route: string } => {
    const space = key.indexOf(' ');
    return { method: key.slice(0, space), route: key.slice(space + 1) };
  };
  lines.push(
    '# HELP slipway_server_http_requests_total HTTP requests answered, by route pattern, method and status.',
    '# TYPE slipway_server_http_requests_total counter',
  );
  for (const key of keys) {
    const { method, route } = split(key);
    const series = routes.get(key);
    for (const [status, n] of [...(series?.byStatus ?? [])].sort((a, b) => a[0] - b[0]))
      lines.push(
        `slipway_server_http_requests_total{${labels({ route, method, status: String(status) })}} ${n}`,
      );
  }
  lines.push(
    '# HELP slipway_server_http_request_duration_seconds Time to answer (to the first byte for streams).',
    '# TYPE slipway_server_http_request_duration_seconds histogram',
  );
  for (const key of keys) {
    const { method, route } = split(key);
    const series = routes.get(key);
    if (!series) continue;
    for (const [i, bound] of DURATION_BUCKETS_S.entries())
      lines.push(
        `slipway_server_http_request_duration_seconds_bucket{${labels({ route, method, le: String(bound) })}} ${series.buckets[i] ?? 0}`,
      );
    lines.push(
      `slipway_server_http_request_duration_seconds_bucket{${labels({ route, method, le: '+Inf' })}} ${series.count}`,
      `slipway_server_http_request_duration_seconds_sum{${labels({ route, method })}} ${series.sumS}`,
      `slipway_server_http_request_duration_seconds_count{${labels({ route, method })}} ${series.count}`,
    );
  }
  lines.push(
    '# HELP slipway_server_sse_clients Clients connected to the event stream of this replica.',
    '# TYPE slipway_server_sse_clients gauge',
    `slipway_server_sse_clients ${gauges.sseClients}`,
    '# HELP slipway_server_jobs Jobs in the store (shared by every replica), by state.',
    '# TYPE slipway_server_jobs gauge',
  );
  for (const state of ['queued', 'running', 'succeeded', 'failed'] as const)
    lines.push(`slipway_server_jobs{${labels({ state })}} ${gauges.jobsByState[state] ?? 0}`);
  lines.push(
    '# HELP slipway_server_replica_heartbeat_age_seconds Seconds since each running replica last heartbeated (from the store).',
    '# TYPE slipway_server_replica_heartbeat_age_seconds gauge',
  );
  for (const r of [...gauges.replicas].sort((a, b) => (a.id < b.id ? -1 : 1)))
    lines.push(
      `slipway_server_replica_heartbeat_age_seconds{${labels({ replica: r.id })}} ${r.heartbeatAgeS}`,
    );
  lines.push(
    '# HELP slipway_server_info This replica.',
    '# TYPE slipway_server_info gauge',
    `slipway_server_info{${labels({ replica: gauges.replica })}} 1`,
    '# HELP process_resident_memory_bytes Resident memory of the server process.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${gauges.residentBytes}`,
    '# HELP slipway_server_uptime_seconds Seconds since the server process started.',
    '# TYPE slipway_server_uptime_seconds gauge',
    `slipway_server_uptime_seconds ${gauges.uptimeS}`,
  );
  return `${lines.join('\n')}\n`;
}

/** Label values escaped as the format requires (backslash, double quote, newline). */
export function labels(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}
