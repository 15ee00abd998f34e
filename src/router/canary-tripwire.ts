import { performance } from 'node:perf_hooks';
import { checkTripwire, type Trip, type TripwireCounts, type TripwirePlan } from '../analysis/tripwire.js';

/** What a target tells whoever watches its requests (the canary's tripwire). */
export interface TargetObserver {
  onBegin(): void;
  /** `status` 0: the client left before an answer. `durationMs` null: not measured. */
  onEnd(status: number, durationMs: number | null): void;
  /** An attempt that moved to another target (an edge's retry). */
  onAbandon(): void;
}

/**
 * The router's side of the canary tripwire (see analysis/tripwire.ts): counts the canary's responses as they
 * finish and its in-flight requests as they age past the latency threshold, and calls `onTrip` once, at the
 * first moment the evidence suffices. Synchronous on the response path: the router clears the split in the
 * same turn, so the next request already goes to stable.
 *
 * In-flight requests are kept as a queue of start times, and a finished request removes the oldest. When
 * requests finish out of order this can only forget an old request that is still in flight, never invent one,
 * so the count of slow requests errs on the side of not tripping.
 */
export class CanaryTripwire implements TargetObserver {
  readonly #counts: TripwireCounts = { requests: 0, errors: 0, decided: 0, slow: 0 };
  /** Start times (ms) of the requests in flight, oldest first. */
  readonly #starts: number[] = [];
  #timer: NodeJS.Timeout | null = null;
  #done = false;

  constructor(
    readonly canaryId: string,
    readonly plan: TripwirePlan,
    private readonly onTrip: (trip: Trip) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** What it has counted so far (finished responses; in-flight ones are added when they age). */
  get counts(): Readonly<TripwireCounts> {
    return this.#counts;
  }

  onBegin(): void {
    if (this.#done) return;
    this.#starts.push(this.now());
    if (this.plan.latency !== null && this.#timer === null) this.#scheduleAging();
  }

  onEnd(status: number, durationMs: number | null): void {
    if (this.#done) return;
    this.#starts.shift();
    const c = this.#counts;
    if (status > 0) {
      c.requests++;
      if (status >= 500) c.errors++;
    }
    const threshold = this.plan.latency?.thresholdMs;
    let slow = false;
    if (threshold !== undefined && durationMs !== null) {
      slow = durationMs > threshold;
      // A client that left early tells only that the answer took at least that long.
      if (status > 0 || slow) c.decided++;
      if (slow) c.slow++;
    }
    if (status >= 500 || slow) this.#check();
  }

  onAbandon(): void {
    if (!this.#done) this.#starts.shift();
  }

  /** Stops watching: no timer stays behind, no trip is reported any more. */
  disarm(): void {
    this.#done = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#starts.length = 0;
  }

  /** In flight for longer than the threshold: slow, whatever the answer will be. */
  #agedInFlight(): number {
    const threshold = this.plan.latency?.thresholdMs;
    if (threshold === undefined) return 0;
    const cutoff = this.now() - threshold;
    let aged = 0;
    while (aged < this.#starts.length && (this.#starts[aged] as number) < cutoff) aged++;
    return aged;
  }

  #check(): void {
    const aged = this.#agedInFlight();
    const c = this.#counts;
    const trip = checkTripwire(this.plan, { ...c, decided: c.decided + aged, slow: c.slow + aged });
    if (trip === null) return;
    this.disarm();
    this.onTrip(trip);
  }

  /** Wakes up when the oldest request not yet counted as slow would become so. */
  #scheduleAging(): void {
    const threshold = this.plan.latency?.thresholdMs;
    if (threshold === undefined || this.#done) return;
    const next = this.#starts[this.#agedInFlight()];
    if (next === undefined) return;
    const delay = Math.max(1, Math.ceil(next + threshold - this.now()) + 1);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#check();
      this.#scheduleAging();
    }, delay);
    this.#timer.unref();
  }
}
