import type { Clock } from '../core/clock.js';
import { NotFoundError, SlipwayError } from '../core/errors.js';
import type { RuntimeSet } from '../runtime/runtime-set.js';
import type { TargetRecord } from '../runtime/target-record.js';
import type { AgentMethods, RouteStatus } from './protocol.js';
import { RetireTimers } from './retire-timers.js';
import { addressOf } from './routes/legacy-routes.js';
import type { RoutePort } from './routes/route-table.js';
import { ServingHealth } from './serving-health.js';

type Params<M extends keyof AgentMethods> = AgentMethods[M]['params'];
type Result<M extends keyof AgentMethods> = Promise<AgentMethods[M]['result']>;

const DEFAULT_RETIRE_DRAIN_MS = 30_000;

export interface TargetTrafficDeps {
  runtimes: RuntimeSet;
  routes: RoutePort;
  clock: Clock;
  /** The agent's state changed (a target's health, a retire time): save it. */
  changed: () => void;
  /** Journals what happened to one target. */
  event: (kind: string, target: TargetRecord, message: string, data?: Record<string, unknown>) => void;
  log: (line: string) => void;
}

/**
 * Which of the host's targets get users: switches and canary weights (told to the routes by address), the health
 * watch of every target that gets traffic, and the keep-warm of the previous release until it is retired
 * (drained out of its route, then stopped).
 */
export class TargetTraffic {
  readonly #health: ServingHealth;
  readonly #retireTimers = new RetireTimers((id) => this.#retire(id));

  constructor(private readonly deps: TargetTrafficDeps) {
    this.#health = new ServingHealth({
      target: (id) => deps.runtimes.get(id),
      changed: deps.changed,
      event: deps.event,
      log: deps.log,
    });
  }

  target(id: string): TargetRecord {
    const target = this.deps.runtimes.get(id);
    if (!target)
      throw new NotFoundError(`no target ${id} on this host`, { hint: 'it may have been stopped' });
    return target;
  }

  async switchRoute({ app, targetId, drainTimeoutMs, group }: Params<'switchRoute'>): Result<'switchRoute'> {
    const target = this.#running(targetId, 'target');
    // Several instances: every one runs, or nothing moves.
    const members = (group && group.length > 1 ? group : [targetId]).map((id) => this.#running(id, 'target'));
    const grouped = members.length > 1;
    const switched = await this.deps.routes.switchRoute({
      app,
      target: addressOf(target),
      drainTimeoutMs,
      ...(grouped
        ? { group: { members: members.map(addressOf), healthCheck: target.spec.healthCheck } }
        : {}),
    });
    const now = members.map((m) => m.spec.id);
    for (const member of members) {
      this.#cancelRetire(member); // only once users are on it: a refused switch leaves the warm target's timer
      this.#health.watch(member);
    }
    // The previous release is kept warm, without users: its health is what it was when they left it.
    const before = switched.previousGroup ?? (switched.previous ? [switched.previous] : []);
    for (const id of before) if (!now.includes(id)) this.#health.unwatch(id);
    this.deps.changed();
    return { ...switched, ...(grouped ? { group: now } : {}) };
  }

  async setWeight({ canaryTargetId, weight, ...split }: Params<'setWeight'>): Result<'setWeight'> {
    const canary = weight === 0 ? null : this.#running(canaryTargetId, 'canary target');
    const weighted = await this.deps.routes.setWeight({
      ...split,
      canary: canary && addressOf(canary),
      weight,
    });
    if (canary) this.#health.watch(canary); // at 0% it stays watched until stopped
    return weighted;
  }

  /** Drains the target out of its route, then stops it; false when no such target runs here. */
  async stop(id: string, drainTimeoutMs: number): Promise<boolean> {
    const target = this.deps.runtimes.get(id);
    if (!target) return false;
    this.#health.unwatch(id);
    this.#cancelRetire(target);
    await this.deps.routes.unroute({ app: target.spec.app, targetId: id, drainTimeoutMs });
    return this.deps.runtimes.stop(id);
  }

  /** The target stays warm for `afterMs`, then is retired. */
  retireAfter(id: string, afterMs: number): { stopAtMs: number } {
    const target = this.target(id);
    target.stopAtMs = this.deps.clock.nowMs() + afterMs;
    this.#retireTimers.arm(id, afterMs);
    this.deps.changed();
    return { stopAtMs: target.stopAtMs };
  }

  /** After a restart: the warm targets' timers run again, and the targets that get traffic are watched again. */
  resume(routes: readonly RouteStatus[]): void {
    for (const target of this.deps.runtimes.list()) {
      if (target.stopAtMs !== null)
        this.#retireTimers.arm(target.spec.id, target.stopAtMs - this.deps.clock.nowMs());
    }
    this.#health.watchServing(routes);
  }

  /**
   * No more retires or health changes: a target stopped after this is not reported unhealthy on its way out. The
   * promise ends with the check in progress (within its timeout).
   */
  stopWatching(): Promise<void> {
    const stopped = this.#health.stop();
    this.#retireTimers.clear();
    return stopped;
  }

  /** A target that gets traffic must be running. */
  #running(id: string, what: string): TargetRecord {
    const target = this.target(id);
    if (target.spec.process) {
      throw new SlipwayError(
        `${what} ${id} is a worker process (${target.spec.process.name}): it gets no traffic`,
      );
    }
    if (target.state !== 'running') {
      throw new SlipwayError(`${what} ${id} is ${target.state}; traffic only goes to a running target`);
    }
    return target;
  }

  #cancelRetire(target: TargetRecord): void {
    this.#retireTimers.cancel(target.spec.id);
    target.stopAtMs = null;
  }

  /** A warm target's keep-warm ended: drained out of its route, then stopped. */
  #retire(id: string): void {
    const target = this.deps.runtimes.get(id);
    void this.stop(id, DEFAULT_RETIRE_DRAIN_MS).then(
      () => target && this.deps.event('target.retired', target, `retired warm target ${id}`),
      (err: unknown) => this.deps.log(`retire ${id} failed: ${String(err)}`),
    );
  }
}
