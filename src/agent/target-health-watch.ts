import { checkHealthOnce, sameHealthCheck, type HealthCheckResult } from '../router/health-check.js';
import type { HealthCheckSpec, TargetHealth } from './protocol.js';

/** One check of a target: a single GET of its health path by default. */
export type HealthProbe = (port: number, spec: HealthCheckSpec) => Promise<HealthCheckResult>;

export interface TargetHealthChange {
  id: string;
  health: Exclude<TargetHealth, 'unknown'>;
  previous: TargetHealth;
  /** The failure that tipped it to unhealthy. */
  reason?: string;
  /** Failed checks in a row when it turned unhealthy (0 when it turned healthy). */
  consecutiveFailures: number;
  /** Passed checks in a row when it turned healthy (0 when it turned unhealthy). */
  consecutivePasses: number;
}

export interface WatchedTarget {
  port: number;
  spec: HealthCheckSpec;
  /**
   * What is known when the watch starts: a target that just passed its checks (the usual case) is healthy, and
   * is reported only once it fails; one whose health is unknown (adopted after a restart) is reported either way.
   */
  health?: TargetHealth;
}

interface Watched {
  port: number;
  spec: HealthCheckSpec;
  health: TargetHealth;
  passes: number;
  failures: number;
  /** The next check's timer; null while a check runs (or once stopped). */
  timer: NodeJS.Timeout | null;
}

const defaultProbe: HealthProbe = (port, spec) =>
  checkHealthOnce(port, { path: spec.path, timeoutMs: spec.timeoutMs });

/**
 * Keeps checking the targets that serve, each with its own health check and on its own schedule: the next check
 * starts `intervalMs` after the previous one finished, so a target's checks never overlap. A target is reported
 * unhealthy once, after `unhealthyThreshold` failures in a row, and healthy again after `healthyThreshold` passes in
 * a row. The deploy's wait for health covers a target until traffic reaches it; this covers it from then on.
 */
export class TargetHealthWatch {
  readonly #onChange: (change: TargetHealthChange) => void;
  readonly #probe: HealthProbe;
  readonly #onError: (err: unknown) => void;
  readonly #watched = new Map<string, Watched>();
  /** Every check in progress, of unwatched targets too: stop() waits for them all. */
  readonly #running = new Set<Promise<void>>();
  #stopped = false;

  constructor(opts: {
    onChange: (change: TargetHealthChange) => void;
    /** Default: one GET of the health path, as the deploy's checks do. */
    probe?: HealthProbe;
    /** A throwing `onChange` (a journal on a full disk) lands here, and the watch goes on. */
    onError?: (err: unknown) => void;
  }) {
    this.#onChange = opts.onChange;
    this.#probe = opts.probe ?? defaultProbe;
    this.#onError = opts.onError ?? (() => undefined);
  }

  /**
   * Starts watching `id`. Watching it again with the same port and check changes nothing (a canary whose weight
   * grows keeps its count); another port or check starts over.
   */
  watch(id: string, target: WatchedTarget): void {
    if (this.#stopped) return;
    const existing = this.#watched.get(id);
    if (existing && existing.port === target.port && sameHealthCheck(existing.spec, target.spec)) return;
    if (existing?.timer) clearTimeout(existing.timer);
    const watched: Watched = {
      port: target.port,
      spec: { ...target.spec },
      health: target.health ?? 'healthy',
      passes: 0,
      failures: 0,
      timer: null,
    };
    this.#watched.set(id, watched);
    this.#schedule(id, watched);
  }

  unwatch(id: string): void {
    const w = this.#watched.get(id);
    if (w?.timer) clearTimeout(w.timer);
    this.#watched.delete(id);
  }

  /** What the checks say of `id`; undefined when it is not watched. */
  health(id: string): TargetHealth | undefined {
    return this.#watched.get(id)?.health;
  }

  watching(): string[] {
    return [...this.#watched.keys()];
  }

  /** Stops every watch; resolves once the checks in progress have finished. No timer is left behind. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const w of this.#watched.values()) if (w.timer) clearTimeout(w.timer);
    this.#watched.clear();
    await Promise.all(this.#running);
  }

  #schedule(id: string, w: Watched): void {
    if (this.#stopped || this.#watched.get(id) !== w) return;
    w.timer = setTimeout(() => {
      w.timer = null;
      const checking = this.#check(id, w)
        .catch(this.#onError)
        .finally(() => {
          this.#running.delete(checking);
          this.#schedule(id, w);
        });
      this.#running.add(checking);
    }, w.spec.intervalMs);
    // A watch never keeps the agent alive on its own.
    w.timer.unref();
  }

  async #check(id: string, w: Watched): Promise<void> {
    const result = await this.#probe(w.port, w.spec).catch((err: unknown): HealthCheckResult => ({
      ok: false,
      error: err instanceof Error ? err.message : String(err),
    }));
    // Unwatched (or watched anew) meanwhile: this result is about a target that is not watched any more.
    if (this.#stopped || this.#watched.get(id) !== w) return;
    this.#apply(id, w, result);
  }

  #apply(id: string, w: Watched, result: HealthCheckResult): void {
    const previous = w.health;
    if (result.ok) {
      w.failures = 0;
      w.passes++;
      if (previous !== 'healthy' && w.passes >= w.spec.healthyThreshold) {
        w.health = 'healthy';
        this.#onChange({
          id,
          health: 'healthy',
          previous,
          consecutiveFailures: 0,
          consecutivePasses: w.passes,
        });
      }
      return;
    }
    w.passes = 0;
    w.failures++;
    if (previous !== 'unhealthy' && w.failures >= w.spec.unhealthyThreshold) {
      w.health = 'unhealthy';
      this.#onChange({
        id,
        health: 'unhealthy',
        previous,
        reason: result.error ?? 'check failed',
        consecutiveFailures: w.failures,
        consecutivePasses: 0,
      });
    }
  }
}

/**
 * What a change of a serving target's health reads as in the journal (and so the ledger, and a bake watching the
 * release): null when there is nothing to say (a first pass). Pure.
 */
export function healthChangeEvent(
  target: { id: string; app: string; port: number },
  c: TargetHealthChange,
): { kind: string; message: string; data: Record<string, unknown> } | null {
  if (c.health === 'unhealthy') {
    const reason = c.reason ?? 'check failed';
    return {
      kind: 'target.unhealthy',
      message: `target ${target.id} of ${target.app} failed its health check ${c.consecutiveFailures} times in a row while serving: ${reason}`,
      data: { reason, consecutiveFailures: c.consecutiveFailures, port: target.port },
    };
  }
  if (c.previous !== 'unhealthy') return null;
  return {
    kind: 'target.healthy',
    message: `target ${target.id} of ${target.app} passes its health check again (${c.consecutivePasses} in a row)`,
    data: { consecutivePasses: c.consecutivePasses, port: target.port },
  };
}
