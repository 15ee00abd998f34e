import type { HealthCheckSpec, TargetHealth } from '../agent/protocol.js';
import { SlipwayError } from '../core/errors.js';
import type { PoolFailure } from './edge-failover.js';
import { sameHealthCheck } from './health-check.js';
import { HealthMonitor, type HealthChange } from './health-monitor.js';
import { selectLeastOutstanding, selectLeastOutstandingOtherThan } from './least-outstanding.js';
import type { PoolRouting, WaitingAttempt } from './pool-exchange.js';
import type { RouterTarget } from './router-target.js';

/** How long a request to an instance may wait for its answer head: as long as any target's (router-target.ts). */
const ANSWER_CAP_MS = 300_000;
const CONNECT_TIMEOUT_MS = 5_000;

/** One member of a route's group, as status shows it. */
export interface GroupMemberStatus {
  id: string;
  port: number;
  health: TargetHealth;
  inRotation: boolean;
  inFlight: number;
}

/**
 * A route's active side when the release runs several instances on the host (`run.instances`): its members (the
 * route's `active` target first), which of them are in rotation, and where a request goes (least outstanding,
 * least-outstanding.ts). A member that refuses a connection leaves the rotation at once and an idempotent
 * request that could not be sent moves to another member (the edge's pool exchange, pool-exchange.ts, with this
 * group as its routing); the member comes back when its health check passes `healthyThreshold` times. A member
 * whose checks fail leaves too. When no member is in rotation every member is tried: better an attempt than a 503.
 *
 * Unlike an edge's members, instances are on this host and slow answers are the app's: there is no answer bound
 * short of the cap, no retry at a bound, no retry budget.
 */
export class TargetGroup implements PoolRouting {
  #members: string[] = [];
  #rotation: string[] = [];
  #spec: HealthCheckSpec | null = null;
  #monitor: HealthMonitor | null = null;
  readonly #waiting = new Map<string, Set<WaitingAttempt>>();

  constructor(
    private readonly targets: Map<string, RouterTarget>,
    private readonly nextTurn: () => number,
  ) {}

  /** Every member, the route's active target first; empty while the route has no group. */
  get members(): readonly string[] {
    return this.#members;
  }

  has(id: string): boolean {
    return this.#members.includes(id);
  }

  /** Makes `ids` (each a target of the router) the group; checked with `spec`. A group of one is no group. */
  set(ids: readonly string[], spec: HealthCheckSpec): void {
    const missing = ids.find((id) => !this.targets.has(id));
    if (missing !== undefined) {
      throw new SlipwayError(`cannot route to unknown target ${missing}`, {
        hint: 'add every target of the group before switching',
      });
    }
    if (ids.length < 2) {
      this.clear();
      return;
    }
    if (this.#monitor === null || this.#spec === null || !sameHealthCheck(this.#spec, spec)) {
      void this.#monitor?.stop();
      this.#spec = { ...spec };
      const monitor: HealthMonitor = new HealthMonitor({
        spec,
        onChange: (change) => {
          if (this.#monitor === monitor) this.#onHealthChange(change);
        },
      });
      this.#monitor = monitor;
    }
    for (const id of this.#members) if (!ids.includes(id)) this.#monitor.unwatch(id);
    this.#members = [...ids];
    for (const id of ids) {
      const target = this.targets.get(id) as RouterTarget;
      this.#monitor.watch(id, target.address.port, target.host);
    }
    this.#rebuildRotation();
  }

  clear(): void {
    void this.#monitor?.stop();
    this.#monitor = null;
    this.#spec = null;
    this.#members = [];
    this.#rotation = [];
  }

  /** The member the next request goes to. */
  pick(): RouterTarget | undefined {
    const id = selectLeastOutstanding(this.#rotation, this.#inFlight, this.nextTurn());
    return id === null ? undefined : this.targets.get(id);
  }

  status(): GroupMemberStatus[] {
    return this.#members.map((id) => {
      const target = this.targets.get(id);
      return {
        id,
        port: target?.address.port ?? 0,
        health: this.#monitor?.health(id) ?? 'unknown',
        inRotation: this.#rotation.includes(id),
        inFlight: target?.counters.inFlight ?? 0,
      };
    });
  }

  readonly #inFlight = (id: string): number => this.targets.get(id)?.counters.inFlight ?? 0;

  #rebuildRotation(): void {
    const healthy = this.#members.filter((id) => this.#monitor?.health(id) !== 'unhealthy');
    this.#rotation = healthy.length > 0 ? healthy : [...this.#members];
  }

  #onHealthChange(change: HealthChange): void {
    if (!this.has(change.key)) return;
    this.#rebuildRotation();
    if (change.health !== 'unhealthy') return;
    // Requests still waiting on it move on now (the idempotent ones; see pool-exchange.ts).
    for (const attempt of [...(this.#waiting.get(change.key) ?? [])]) attempt.memberEjected();
  }

  // PoolRouting: what a pool exchange asks and tells.

  readonly connectTimeoutMs = CONNECT_TIMEOUT_MS;
  readonly answerTimeoutMaxMs = ANSWER_CAP_MS;

  answerBoundMs(): number {
    return ANSWER_CAP_MS;
  }

  silentForMs(): number {
    return 0;
  }

  retryBudgetAllows(): boolean {
    return true;
  }

  attemptSent(target: RouterTarget, attempt: WaitingAttempt): void {
    let waiting = this.#waiting.get(target.id);
    if (waiting === undefined) this.#waiting.set(target.id, (waiting = new Set()));
    waiting.add(attempt);
  }

  attemptAnswered(target: RouterTarget, attempt: WaitingAttempt): void {
    this.attemptLeft(target, attempt);
  }

  attemptLeft(target: RouterTarget, attempt: WaitingAttempt): void {
    const waiting = this.#waiting.get(target.id);
    if (waiting === undefined) return;
    waiting.delete(attempt);
    if (waiting.size === 0) this.#waiting.delete(target.id);
  }

  /** A member that refuses, cannot be reached or does not connect in time leaves the rotation at once. */
  attemptFailed(target: RouterTarget, _failure: Exclude<PoolFailure, 'stale'>, detail: string): void {
    if (this.has(target.id)) this.#monitor?.reportFailure(target.id, detail);
  }

  retriedAway(): void {}

  alternativeTo(target: RouterTarget): RouterTarget | null {
    const id = selectLeastOutstandingOtherThan(this.#rotation, target.id, this.#inFlight, this.nextTurn());
    return id === null ? null : (this.targets.get(id) ?? null);
  }
}
