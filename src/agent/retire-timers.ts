import { MAX_TIMER_MS } from '../core/duration.js';

/**
 * One timer per warm target, firing `onDue(id)` when its keep-warm ends. A timer fires at once past 2^31-1 ms, so
 * a longer keep-warm (an old plan, an old state file) waits in steps.
 */
export class RetireTimers {
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly onDue: (id: string) => void) {}

  arm(id: string, delayMs: number): void {
    this.cancel(id);
    const stepMs = Math.min(Math.max(0, delayMs), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.#timers.delete(id);
      if (delayMs > MAX_TIMER_MS) this.arm(id, delayMs - MAX_TIMER_MS);
      else this.onDue(id);
    }, stepMs);
    timer.unref();
    this.#timers.set(id, timer);
  }

  cancel(id: string): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }

  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
