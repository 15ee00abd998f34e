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
  /** The next check's timer; null while a check runs (or once stopped). */
  timer: NodeJS.Timeout | null;
  /** The check in progress, if any. */
  checking: Promise<void> | null;
}

/**
 * Checks a set of targets, each every `intervalMs`, and reports when one turns healthy (`healthyThreshold`
 * passes in a row) or unhealthy (`unhealthyThreshold` failures in a row). Each target has its own schedule: its
 * next check starts `intervalMs` after its previous one finished, so its checks never pile up, and a target whose
 * checks hang until their timeout (a host whose link is cut) delays no other target's checks.
 */
export class HealthMonitor {
  readonly #spec: HealthCheckSpec;
  readonly #onChange: (change: HealthChange) => void;
  readonly #watched = new Map<string, Watched>();
  /** Every check in progress, of unwatched targets too: stop() waits for them all. */
  readonly #running = new Set<Promise<void>>();
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
    if (existing?.timer) clearTimeout(existing.timer);
    const watched: Watched = {
      host,
      port,
      health: 'unknown',
      passes: 0,
      failures: 0,
      timer: null,
      checking: null,
    };
    this.#watched.set(key, watched);
    this.#schedule(key, watched);
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
    const w = this.#watched.get(key);
    if (w?.timer) clearTimeout(w.timer);
    this.#watched.delete(key);
  }

  health(key: string): TargetHealth | undefined {
    return this.#watched.get(key)?.health;
  }

  /** Stops checking; resolves once the checks in progress (if any) have finished. No timer is left behind. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const w of this.#watched.values()) {
      if (w.timer !== null) clearTimeout(w.timer);
      w.timer = null;
    }
    await Promise.all(this.#running);
  }

  #schedule(key: string, w: Watched): void {
    if (this.#stopped || w.timer !== null || w.checking !== null) return;
    w.timer = setTimeout(() => {
      w.timer = null;
      const checking = this.#check(key, w).finally(() => {
        w.checking = null;
        this.#running.delete(checking);
        if (this.#watched.get(key) === w) this.#schedule(key, w);
      });
      w.checking = checking;
      this.#running.add(checking);
    }, this.#spec.intervalMs);
  }

  async #check(key: string, w: Watched): Promise<void> {
    const result = await checkHealthOnce(w.port, {
      host: w.host,
      path: this.#spec.path,
      timeoutMs: this.#spec.timeoutMs,
    });
    // Unwatched or re-watched on another port meanwhile: this result is stale.
    if (this.#stopped || this.#watched.get(key) !== w) return;
    this.#apply(key, w, result);
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
