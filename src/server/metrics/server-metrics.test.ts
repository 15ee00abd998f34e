import { describe, expect, it } from 'vitest';
import { labels, ServerMetrics } from './server-metrics.js';

const gauges = {
  sseClients: 3,
  jobsByState: { running: 1, succeeded: 4 },
  residentBytes: 123456,
  uptimeS: 60,
  replica: 'r1',
  replicas: [
    { id: 'r2', heartbeatAgeS: 1.5 },
    { id: 'r1', heartbeatAgeS: 0.2 },
  ],
};

describe('server metrics', () => {
  it('counts requests by route pattern, method and status, with a cumulative duration histogram', () => {
    const metrics = new ServerMetrics();
    metrics.observe('GET', '/api/v1/deployments/:id', 200, 0.003);
    metrics.observe('GET', '/api/v1/deployments/:id', 200, 0.07);
    metrics.observe('GET', '/api/v1/deployments/:id', 404, 20);

    const text = metrics.render(gauges);
    const series = (name: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(name))
        .map((l) => l.slice(name.length));
    expect(series('slipway_server_http_requests_total')).toEqual([
      '{route="/api/v1/deployments/:id",method="GET",status="200"} 2',
      '{route="/api/v1/deployments/:id",method="GET",status="404"} 1',
    ]);
    const buckets = series('slipway_server_http_request_duration_seconds_bucket');
    expect(buckets[0]).toBe('{route="/api/v1/deployments/:id",method="GET",le="0.005"} 1');
    expect(buckets).toContain('{route="/api/v1/deployments/:id",method="GET",le="0.1"} 2');
    expect(buckets).toContain('{route="/api/v1/deployments/:id",method="GET",le="10"} 2');
    expect(buckets.at(-1)).toBe('{route="/api/v1/deployments/:id",method="GET",le="+Inf"} 3');
    expect(series('slipway_server_http_request_duration_seconds_count')).toEqual([
      '{route="/api/v1/deployments/:id",method="GET"} 3',
    ]);
    expect(series('slipway_server_http_request_duration_seconds_sum')[0]).toMatch(/} 20\.07\d*$/);
  });

  it('writes the gauges, every metric with HELP and TYPE, and ends with a newline', () => {
    const text = new ServerMetrics().render(gauges);
    expect(text).toContain('slipway_server_sse_clients 3\n');
    expect(text).toContain('slipway_server_jobs{state="queued"} 0\n');
    expect(text).toContain('slipway_server_jobs{state="running"} 1\n');
    expect(text).toContain('slipway_server_jobs{state="succeeded"} 4\n');
    expect(text).toContain('slipway_server_info{replica="r1"} 1\n');
    expect(text).toContain(
      'slipway_server_replica_heartbeat_age_seconds{replica="r1"} 0.2\nslipway_server_replica_heartbeat_age_seconds{replica="r2"} 1.5\n',
    );
    expect(text).toContain('process_resident_memory_bytes 123456\n');
    expect(text).toContain('slipway_server_uptime_seconds 60\n');
    expect(text.endsWith('\n')).toBe(true);
    const names = new Set(
      text
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => l.split(/[{ ]/)[0]?.replace(/_(bucket|sum|count)$/, '')),
    );
    for (const name of names) {
      expect(text).toContain(`# HELP ${name} `);
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('escapes label values', () => {
    expect(labels({ route: 'a"b\\c\nd' })).toBe('route="a\\"b\\\\c\\nd"');
  });
});
