import autocannon from 'autocannon';
import { percentileMs } from './compare-performance.js';
import type { Endpoint } from './endpoint.js';
import type { PerformanceSample } from './verification-check.js';
import type { PerformancePlan } from './verify-suite.js';

/** A request that takes longer than this counts as a timeout (an error). */
const REQUEST_TIMEOUT_S = 10;

/**
 * A bounded load run with autocannon: `connections` keep requesting the paths in turn for `durationMs`. Every
 * answer's latency is kept so that p95 and p99 are exact (autocannon's own summary has no p95).
 */
export function runLoad(
  endpoint: Endpoint,
  plan: PerformancePlan,
  signal?: AbortSignal,
): Promise<PerformanceSample> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let serverErrors = 0;
    const instance = autocannon(
      {
        url: endpoint.baseUrl,
        ...(endpoint.ca ? { tlsOptions: { ca: endpoint.ca } } : {}),
        connections: plan.connections,
        duration: plan.durationMs / 1000,
        timeout: REQUEST_TIMEOUT_S,
        requests: plan.paths.map((path) => ({ method: 'GET' as const, path })),
      },
      (err, result) => {
        signal?.removeEventListener('abort', stop);
        if (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        const sorted = latencies.sort((a, b) => a - b);
        const failures = result.errors + serverErrors;
        const total = sorted.length + result.errors;
        const seconds = Math.max(result.duration, plan.durationMs / 1000);
        resolve({
          requests: total,
          requestsPerSecond: sorted.length / seconds,
          p50Ms: percentileMs(sorted, 50),
          p95Ms: percentileMs(sorted, 95),
          p99Ms: percentileMs(sorted, 99),
          errorRate: total === 0 ? 0 : failures / total,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
      if (statusCode >= 500) serverErrors++;
    });
    const stop = (): void => instance.stop();
    signal?.addEventListener('abort', stop, { once: true });
  });
}
