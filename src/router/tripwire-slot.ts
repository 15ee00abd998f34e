import { planTripwire, type Trip, type TripwireSpec } from '../analysis/tripwire.js';
import { CanaryTripwire } from './canary-tripwire.js';
import type { RouterTarget } from './router-target.js';

/** The router's one armed canary tripwire (or none), watching its canary target's responses. */
export class TripwireSlot {
  #armed: { watch: CanaryTripwire; target: RouterTarget } | null = null;

  get watch(): CanaryTripwire | null {
    return this.#armed?.watch ?? null;
  }

  /** Watches `canary` against `stable`'s record; a tripwire already on that canary stays as it is. */
  arm(canary: RouterTarget, stable: RouterTarget, spec: TripwireSpec, onTrip: (trip: Trip) => void): void {
    if (this.#armed?.watch.canaryId === canary.id) return;
    this.disarm();
    const watch = new CanaryTripwire(canary.id, planTripwire(stable.counters.snapshot(), spec), onTrip);
    canary.observer = watch;
    this.#armed = { watch, target: canary };
  }

  /** Disarms the tripwire unless it watches `canaryId` (the canary that has the split now, if any). */
  keepOnly(canaryId: string | undefined): void {
    if (this.#armed !== null && this.#armed.watch.canaryId !== canaryId) this.disarm();
  }

  disarm(): void {
    const armed = this.#armed;
    if (armed === null) return;
    this.#armed = null;
    armed.watch.disarm();
    if (armed.target.observer === armed.watch) armed.target.observer = null;
  }
}
