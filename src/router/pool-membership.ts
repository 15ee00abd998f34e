import type { PoolMemberStatus } from '../agent/protocol.js';
import { NotFoundError, SlipwayError } from '../core/errors.js';
import { EdgePool, createPoolTarget, type EdgePoolOptions, type PoolMemberAddress } from './edge-pool.js';
import type { RouterTarget } from './router-target.js';
import { deriveRouteWithPool, type RouteState } from './split.js';
import { waitIdle, type IdleOutcome } from './wait-idle.js';

export interface PoolMemberIdleResult {
  /** True when the member had nothing in flight before the timeout. */
  drained: boolean;
  /** Requests still in flight at the timeout; unlike a drain, they are not cut. */
  inFlight: number;
  /** The member was enabled again before it drained. */
  cancelled?: boolean;
}

/** What the membership needs of its router: its targets, its route state, its turn counter. */
export interface PoolRouter {
  readonly targets: Map<string, RouterTarget>;
  route(): RouteState;
  setRoute(next: RouteState): void;
  nextTurn(): number;
  /** A member added back while being drained (removed) is kept: the drain is cancelled. */
  cancelDrain(id: string): void;
}

/**
 * An edge router's upstream pool: its members (the app hosts' routers) as targets of the router, enabled or not,
 * the rotation the pool derives swapped into the router's route state, and waits for disabled members to go idle.
 */
export class PoolMembership {
  #pool: EdgePool | null = null;
  /** Waits for disabled pool members to go idle, cancelled when the member is enabled again. */
  readonly #quiescing = new Map<string, Set<() => void>>();

  constructor(private readonly router: PoolRouter) {}

  /** The pool, once configured. */
  get pool(): EdgePool | null {
    return this.#pool;
  }

  /**
   * Makes this router an edge: while no target is active, each request goes to the next pool member in
   * rotation (enabled and not unhealthy; see `EdgePool`), and moves on to another member when its member does
   * not answer (see pool-exchange.ts). An unhealthy member leaves the rotation at once and comes back after
   * `healthyThreshold` passing checks. Calling again applies new failover settings; another health-check spec
   * restarts the checks. `wallClockMs` times what status shows (the agent's clock).
   */
  configure(opts: EdgePoolOptions & { wallClockMs?: () => number }): void {
    if (this.#pool !== null) {
      this.#pool.reconfigure(opts);
      return;
    }
    this.#pool = new EdgePool({
      ...opts,
      onRotationChange: () => this.#rebuildRotation(),
      route: () => {
        const route = this.router.route();
        return route.active === null ? route.pool : null;
      },
      nextTurn: () => this.router.nextTurn(),
    });
    this.#rebuildRotation();
  }

  /**
   * Adds an upstream to the pool, enabled unless told otherwise. Idempotent: a member already there keeps its
   * enabled state; one being removed (drained) is kept after all.
   */
  add(member: PoolMemberAddress, opts: { enabled?: boolean; disabledSinceMs?: number | null } = {}): void {
    const pool = this.#pool;
    if (pool === null) {
      throw new SlipwayError('this router has no upstream pool', { hint: 'configure the pool first' });
    }
    const target = this.router.targets.get(member.id);
    if (target !== undefined && (target.host !== member.host || target.address.port !== member.port)) {
      throw new SlipwayError(
        `pool member ${member.id} already points to ${target.host}:${target.address.port}`,
        { hint: 'remove (drain) the member before giving it another address' },
      );
    }
    if (pool.get(member.id) !== undefined) return;
    this.router.cancelDrain(member.id);
    const upstream = target ?? createPoolTarget(member);
    this.router.targets.set(member.id, upstream);
    pool.add(upstream, opts.enabled ?? true, opts.disabledSinceMs ?? null);
  }

  /**
   * A disabled member gets no new requests; what it has in flight goes on (`whenIdle` waits for it).
   * Enabling it puts it back in rotation (unless its health check fails). The router's `drain(id)` removes a member.
   */
  setEnabled(id: string, enabled: boolean): void {
    const pool = this.#require(id);
    if (pool.setEnabled(id, enabled) && enabled) this.#cancelQuiescing(id);
  }

  /**
   * Waits until a disabled member has nothing in flight (or `timeoutMs` passes; what is still in flight then is
   * left alone). Ends with `cancelled` when the member is (or becomes) enabled or is removed.
   */
  async whenIdle(id: string, timeoutMs: number): Promise<PoolMemberIdleResult> {
    const member = this.#require(id).member(id);
    const target = member.target;
    if (member.enabled) return { drained: false, inFlight: target.counters.inFlight, cancelled: true };
    const { outcome, cancel } = waitIdle(target, timeoutMs);
    const waits = this.#quiescing.get(id) ?? new Set<() => void>();
    this.#quiescing.set(id, waits.add(cancel));
    let how: IdleOutcome;
    try {
      how = await outcome;
    } finally {
      waits.delete(cancel);
      if (waits.size === 0 && this.#quiescing.get(id) === waits) this.#quiescing.delete(id);
    }
    if (how === 'idle') return { drained: true, inFlight: 0 };
    const inFlight = target.counters.inFlight;
    return how === 'cancelled' ? { drained: false, inFlight, cancelled: true } : { drained: false, inFlight };
  }

  /** The pool's members in the order they were added, with their state; empty for a router without a pool. */
  status(): PoolMemberStatus[] {
    return this.#pool?.status() ?? [];
  }

  /** A target being drained or removed leaves the pool (and its idle waits end). */
  forget(id: string): void {
    if (this.#pool?.remove(id)) this.#cancelQuiescing(id);
  }

  /** Stops the health checks (the router closes). */
  async stop(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.stop();
  }

  #require(id: string): EdgePool {
    if (this.#pool === null) throw new NotFoundError(`no pool member ${id}: this router has no pool`);
    return this.#pool;
  }

  #cancelQuiescing(id: string): void {
    for (const cancel of this.#quiescing.get(id) ?? []) cancel();
  }

  /** The rotation is derived by the pool and swapped in as one new route state. */
  #rebuildRotation(): void {
    if (this.#pool !== null)
      this.router.setRoute(deriveRouteWithPool(this.router.route(), this.#pool.rotation()));
  }
}
