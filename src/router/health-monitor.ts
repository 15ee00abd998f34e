import type { HealthCheckSpec, TargetHealth } from '../agent/protocol.js';
import { checkHealthOnce, type HealthCheckResult } from './health-check.js';

export interface HealthChange {
  key: string;
  port: number;
  health: Exclude<TargetHealth, 'unknown'>;
  previous: TargetHealth;
  /** The failure that tipped it to unhealthy. */
  reason?: string;
}

interface Watched {
  host: string;
  port: number;
  health: TargetHealth;
  passes: number;
  failures: number;
}

/**
 * Checks a set of targets every `intervalMs` and reports when one turns healthy (`healthyThreshold` passes in a
 * row) or unhealthy (`unhealthyThreshold` failures in a row). One round at a time: the next round is scheduled
 * when the previous one has finished, so slow checks never pile up.
 */
export class HealthMonitor {
  readonly #spec: HealthCheckSpec;
  readonly #onChange: (change: HealthChange) => void;
  readonly #watched = new Map<string, Watched>();
  #timer: NodeJS.Timeout | null = null;
  #round: Promise<void> | null = null;
  #stopped = false;

  constructor(opts: { spec: HealthCheckSpec; onChange: (change: HealthChange) => void }) {
    this.#spec = opts.spec;
    this.#onChange = opts.onChange;
  }

  /** Starts checking `key` at `host:port` (loopback unless told otherwise); its health is unknown until then. */
  watch(key: string, port: number, host = '127.0.0.1'): void {
    if (this.#stopped) throw new Error('HealthMonitor is stopped');
    const existing = this.#watched.get(key);
    if (existing?.port === port && existing.host === host) return;
    this.#watched.set(key, { host, port, health: 'unknown', passes: 0, failures: 0 });
    this.#schedule();
  }

  /**
   * A failure seen outside the checks (the router could not connect): the target turns unhealthy at once, and
   * only `healthyThreshold` passing checks in a row bring it back.
   */
  reportFailure(key: string, reason: string): void {
    const w = this.#watched.get(key);
    if (w === undefined || this.#stopped) return;
    w.passes = 0;
    w.failures = Math.max(w.failures, this.#spec.unhealthyThreshold);
    if (w.health === 'unhealthy') return;
    const previous = w.health;
    w.health = 'unhealthy';
    this.#onChange({ key, port: w.port, health: 'unhealthy', previous, reason });
  }

  unwatch(key: string): void {
    this.#watched.delete(key);
  }

  health(key: string): TargetHealth | undefined {
    return this.#watched.get(key)?.health;
  }

  /** Stops checking; resolves once the round in progress (if any) has finished. No timer is left behind. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#round;
  }

  #schedule(): void {
    if (this.#stopped || this.#timer !== null || this.#round !== null || this.#watched.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#round = this.#runRound().finally(() => {
        this.#round = null;
        this.#schedule();
      });
    }, this.#spec.intervalMs);
  }

  async #runRound(): Promise<void> {
    const entries = [...this.#watched.entries()];
    const results = await Promise.all(
      entries.map(([, w]) =>
        checkHealthOnce(w.port, { host: w.host, path: this.#spec.path, timeoutMs: this.#spec.timeoutMs }),
      ),
    );
    entries.forEach(([key, watched], i) => {
      // Unwatched or re-watched on another port during the round: this result is stale.
      if (this.#stopped || this.#watched.get(key) !== watched) return;
      this.#apply(key, watched, results[i] as HealthCheckResult);
    });
  }

  #apply(key: string, w: Watched, result: HealthCheckResult): void {
    const previous = w.health;
    if (result.ok) {
      w.failures = 0;
      w.passes++;
      if (previous !== 'healthy' && w.passes >= this.#spec.healthyThreshold) {
        w.health = 'healthy';
        this.#onChange({ key, port: w.port, health: 'healthy', previous });
      }
    } else {
      w.passes = 0;
      w.failures++;
      if (previous !== 'unhealthy' && w.failures >= this.#spec.unhealthyThreshold) {
        w.health = 'unhealthy';
        this.#onChange({
          key,
          port: w.port,
          health: 'unhealthy',
          previous,
          reason: result.error ?? 'check failed',
        });
      }
    }
  }
}
