import type { RouteStatus } from './protocol.js';
import type { TargetRecord } from '../runtime/target-record.js';
import { healthChangeEvent, TargetHealthWatch, type TargetHealthChange } from './target-health-watch.js';

/**
 * The agent's side of the health watch: the targets that get traffic are checked with their own health check, and
 * a change is set on the target record and journaled once, in the same tick (a bake reads the state, then the
 * journal).
 */
export class ServingHealth {
  readonly #watch: TargetHealthWatch;

  constructor(
    private readonly deps: {
      target: (id: string) => TargetRecord | undefined;
      changed: () => void;
      event: (kind: string, t: TargetRecord, message: string, data: Record<string, unknown>) => void;
      log: (line: string) => void;
    },
  ) {
    this.#watch = new TargetHealthWatch({
      onChange: (c) => this.#onChange(c),
      onError: (err) => deps.log(`health watch: ${String(err)}`),
    });
  }

  /** From the switch (or a canary weight) on, the target's own health check runs while it gets traffic. */
  watch(target: TargetRecord): void {
    const { port, health } = target;
    this.#watch.watch(target.spec.id, { port, spec: target.spec.healthCheck, health });
  }

  unwatch(id: string): void {
    this.#watch.unwatch(id);
  }

  /** After a restart: the targets the routes send users to (active and canary) are watched again. */
  watchServing(routes: readonly RouteStatus[]): void {
    for (const route of routes) {
      for (const id of [route.active, route.split?.canary]) {
        const target = id ? this.deps.target(id) : undefined;
        if (target) this.watch(target);
      }
    }
  }

  stop(): Promise<void> {
    return this.#watch.stop();
  }

  #onChange(c: TargetHealthChange): void {
    const target = this.deps.target(c.id);
    if (!target) {
      this.#watch.unwatch(c.id);
      return;
    }
    target.health = c.health;
    this.deps.changed();
    const said = healthChangeEvent({ id: c.id, app: target.spec.app, port: target.port }, c);
    if (said) this.deps.event(said.kind, target, said.message, said.data);
  }
}
