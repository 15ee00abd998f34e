import type { LatencyHistogram, Recent5xx, TargetMetrics } from '../agent/protocol.js';

/** Fixed upper bounds (ms) of the latency buckets; a last, open bucket counts everything slower. */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];

/** Index of the bucket that counts a duration: the first bound it does not exceed, or the open bucket. */
export function bucketIndexFor(boundsMs: readonly number[], durationMs: number): number {
  let i = 0;
  while (i < boundsMs.length && durationMs > (boundsMs[i] as number)) i++;
  return i;
}

/**
 * The q-quantile (0..1) of a histogram, interpolating linearly inside the bucket that holds it (as Prometheus'
 * histogram_quantile does). Samples in the open bucket are reported at the last bound: the histogram cannot
 * say more. Null when the histogram is empty.
 */
export function quantileFromHistogram(h: LatencyHistogram, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be between 0 and 1, got ${q}`);
  let total = 0;
  for (const c of h.counts) total += c;
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const count = h.counts[i] as number;
    if (count > 0 && below + count >= rank) {
      if (i >= h.boundsMs.length) return h.boundsMs[h.boundsMs.length - 1] ?? 0;
      const lower = i === 0 ? 0 : (h.boundsMs[i - 1] as number);
      const upper = h.boundsMs[i] as number;
      return lower + ((upper - lower) * Math.max(0, rank - below)) / count;
    }
    below += count;
  }
  return h.boundsMs[h.boundsMs.length - 1] ?? 0;
}

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
