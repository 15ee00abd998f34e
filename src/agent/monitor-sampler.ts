import type { Clock } from '../core/clock.js';
import { quantileFromHistogram } from '../core/latency-histogram.js';
import { readGroupRssBytes, readHostReading, type CpuTimes } from './host-metrics.js';
import type { MonitorSample, ReleaseTraffic, TargetReading } from './monitor-protocol.js';
import type { TargetMetrics, TargetStatus } from './protocol.js';

export const DEFAULT_SAMPLE_INTERVAL_MS = 5_000;
const MIN_SAMPLE_INTERVAL_MS = 200;
const MAX_SAMPLE_INTERVAL_MS = 60_000;
/** Samples kept for a collector that was away: an hour at the default interval. */
const RING_CAPACITY = 720;

export interface SamplerSources {
  /** The filesystem whose usage is reported as `disk` (the agent's home). */
  diskPath: string;
  /** The protocol's view of targets: keeps the sampler apart from how the supervisor runs them. */
  targets(): TargetStatus[];
  /** The routers' counters (from the router process: a router restarting meanwhile counts as no traffic). */
  routes(): Promise<Array<{ app: string; targets: TargetMetrics[] }>>;
  stderrTail(id: string): Promise<string>;
}

interface CounterMark {
  requests: number;
  errors5xx: number;
  counts: number[];
}

/**
 * Samples the host, its targets and the routers' traffic on the agent's own clock and keeps the samples in a
 * ring, so a collector that could not reach the host for a while catches up on what happened meanwhile. A
 * sample is only ever something measured: when the agent does not run, nothing is sampled and the gap stays.
 */
export class MonitorSampler {
  readonly #ring: MonitorSample[] = [];
  #droppedUpToMs = 0;
  #intervalMs = DEFAULT_SAMPLE_INTERVAL_MS;
  #timer: NodeJS.Timeout | null = null;
  #lastCpu: CpuTimes | null = null;
  #lastAtMs: number;
  readonly #marks = new Map<string, CounterMark>();
  #lastNet: { rx: number; tx: number } | null = null;
  #sampling = false;
  #again = false;

  constructor(
    private readonly sources: SamplerSources,
    private readonly clock: Clock,
  ) {
    this.#lastAtMs = clock.nowMs();
    this.#lastCpu = readHostReading(sources.diskPath, null).cpu;
    this.#arm();
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  setInterval(ms: number): void {
    const bounded = Math.min(MAX_SAMPLE_INTERVAL_MS, Math.max(MIN_SAMPLE_INTERVAL_MS, Math.round(ms)));
    if (bounded === this.#intervalMs) return;
    this.#intervalMs = bounded;
    this.#arm();
  }

  latest(): MonitorSample | null {
    return this.#ring.at(-1) ?? null;
  }

  /** Samples after `afterMs`; `truncated` when some of them were already dropped from the ring. */
  since(afterMs: number): { samples: MonitorSample[]; truncated: boolean } {
    return {
      samples: this.#ring.filter((s) => s.atMs > afterMs),
      truncated: afterMs > 0 && afterMs < this.#droppedUpToMs,
    };
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.sampleNow(), this.#intervalMs);
    this.#timer.unref();
  }

  async sampleNow(): Promise<void> {
    // A slow /proc scan must not pile up; a request meanwhile (a target exited) is served right after it.
    if (this.#sampling) {
      this.#again = true;
      return;
    }
    this.#sampling = true;
    try {
      const atMs = this.clock.nowMs();
      const intervalMs = Math.max(1, atMs - this.#lastAtMs);
      const { reading, cpu } = readHostReading(this.sources.diskPath, this.#lastCpu);
      this.#lastCpu = cpu;
      const net = this.#netRates(reading.netRxBytes, reading.netTxBytes, intervalMs);
      const targets = await Promise.all(
        this.sources.targets().map((t) => this.#readTarget(t, atMs, this.#lastAtMs)),
      );
      const routes = await this.sources.routes().catch(() => []);
      const traffic = this.#traffic(routes, intervalMs, this.#lastAtMs);
      this.#ring.push({ atMs, intervalMs, host: reading, net, targets, traffic });
      while (this.#ring.length > RING_CAPACITY) this.#droppedUpToMs = this.#ring.shift()?.atMs ?? 0;
      this.#lastAtMs = atMs;
    } finally {
      this.#sampling = false;
    }
    if (this.#again) {
      this.#again = false;
      await this.sampleNow();
    }
  }

  async #readTarget(t: TargetStatus, atMs: number, sinceMs: number): Promise<TargetReading> {
    const running = t.pid !== null && (t.state === 'running' || t.state === 'starting');
    const exitedNow = t.lastExit !== null && t.lastExit.atMs > sinceMs;
    return {
      id: t.id,
      app: t.app,
      release: t.release,
      state: t.state,
      restarts: t.restarts,
      rssBytes: running && t.pid !== null ? await readGroupRssBytes(t.pid) : null,
      uptimeMs: running ? Math.max(0, atMs - t.startedAtMs) : null,
      exit:
        exitedNow && t.lastExit
          ? { ...t.lastExit, stderrTail: await this.sources.stderrTail(t.id).catch(() => '') }
          : null,
    };
  }

  #netRates(rx: number | null, tx: number | null, intervalMs: number): MonitorSample['net'] {
    const last = this.#lastNet;
    this.#lastNet = rx === null || tx === null ? null : { rx, tx };
    if (!last || rx === null || tx === null || rx < last.rx || tx < last.tx) return null;
    return {
      rxBytesPerSec: Math.round(((rx - last.rx) * 1000) / intervalMs),
      txBytesPerSec: Math.round(((tx - last.tx) * 1000) / intervalMs),
    };
  }

  /** Per release: what the routers counted since the previous sample (a target new to the router starts at 0). */
  #traffic(
    routes: Array<{ app: string; targets: TargetMetrics[] }>,
    intervalMs: number,
    sinceMs: number,
  ): ReleaseTraffic[] {
    const byRelease = new Map<string, ReleaseTraffic & { counts: number[]; boundsMs: number[] }>();
    const seen = new Set<string>();
    for (const route of routes) {
      if (route.app.startsWith('edge:')) continue;
      for (const t of route.targets) {
        seen.add(t.targetId);
        const mark = this.#marks.get(t.targetId);
        // Counters only grow while a target stays in the router; smaller means it was re-added: start over.
        const reset = !mark || t.requests < mark.requests;
        const base = reset ? { requests: 0, errors5xx: 0, counts: [] as number[] } : mark;
        const key = `${route.app}\u0000${t.release}`;
        const entry =
          byRelease.get(key) ??
          ({
            app: route.app,
            release: t.release,
            requestsPerSec: 0,
            errorsPerSec: 0,
            requests: 0,
            errors5xx: 0,
            p50Ms: null,
            p99Ms: null,
            recent5xx: [],
            counts: new Array<number>(t.latency.counts.length).fill(0),
            boundsMs: t.latency.boundsMs,
          } satisfies ReleaseTraffic & { counts: number[]; boundsMs: number[] });
        entry.requests += t.requests - base.requests;
        entry.errors5xx += t.errors5xx - base.errors5xx;
        t.latency.counts.forEach((c, i) => {
          entry.counts[i] = (entry.counts[i] ?? 0) + c - (base.counts[i] ?? 0);
        });
        entry.recent5xx.push(...(t.recent5xx ?? []).filter((r) => r.atMs > sinceMs));
        byRelease.set(key, entry);
        this.#marks.set(t.targetId, {
          requests: t.requests,
          errors5xx: t.errors5xx,
          counts: [...t.latency.counts],
        });
      }
    }
    for (const id of this.#marks.keys()) if (!seen.has(id)) this.#marks.delete(id);
    return [...byRelease.values()].map(({ counts, boundsMs, ...traffic }) => ({
      ...traffic,
      requestsPerSec: round3((traffic.requests * 1000) / intervalMs),
      errorsPerSec: round3((traffic.errors5xx * 1000) / intervalMs),
      p50Ms: round3OrNull(quantileFromHistogram({ boundsMs, counts }, 0.5)),
      p99Ms: round3OrNull(quantileFromHistogram({ boundsMs, counts }, 0.99)),
      recent5xx: traffic.recent5xx.sort((a, b) => a.atMs - b.atMs).slice(-5),
    }));
  }
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function round3OrNull(n: number | null): number | null {
  return n === null ? null : round3(n);
}
