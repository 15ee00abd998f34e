import type { Recent5xx, TargetMetrics } from '../agent/protocol.js';
import { bucketIndexFor } from '../core/latency-histogram.js';

/** Fixed upper bounds (ms) of the latency buckets; a last, open bucket counts everything slower. */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];

const RECENT_5XX_KEPT = 20;

/**
 * The live counters of one target. Mutated on the router's hot path (a few integer increments per response),
 * copied out by `snapshot()`.
 */
export class TargetCounters {
  requests = 0;
  errors5xx = 0;
  proxyErrors = 0;
  inFlight = 0;
  #latencySumMs = 0;
  readonly #counts: number[] = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  /** A small ring of the latest 5xx answers, for error reports (monitoring). */
  readonly #recent5xx: Recent5xx[] = [];

  constructor(
    readonly targetId: string,
    readonly release: string,
  ) {}

  /** A finished exchange. `durationMs` null leaves the histogram alone (a WebSocket session is not a latency). */
  record(
    status: number,
    durationMs: number | null,
    proxyError: boolean,
    request?: { method: string; path: string },
  ): void {
    this.requests++;
    if (status >= 500) {
      this.errors5xx++;
      if (request) {
        // The query string may carry tokens: only the path is kept.
        const path = request.path.split('?')[0] ?? '/';
        this.#recent5xx.push({ atMs: Date.now(), method: request.method, path, status });
        if (this.#recent5xx.length > RECENT_5XX_KEPT) this.#recent5xx.shift();
      }
    }
    if (proxyError) this.proxyErrors++;
    if (durationMs !== null) {
      this.#counts[bucketIndexFor(LATENCY_BOUNDS_MS, durationMs)]!++;
      this.#latencySumMs += durationMs;
    }
  }

  snapshot(): TargetMetrics {
    return {
      targetId: this.targetId,
      release: this.release,
      requests: this.requests,
      errors5xx: this.errors5xx,
      proxyErrors: this.proxyErrors,
      inFlight: this.inFlight,
      latency: { boundsMs: [...LATENCY_BOUNDS_MS], counts: [...this.#counts], sumMs: this.#latencySumMs },
      recent5xx: [...this.#recent5xx],
    };
  }
}
