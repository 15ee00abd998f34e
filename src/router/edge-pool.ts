import { performance } from 'node:perf_hooks';
import type {
  EdgeFailoverSpec,
  HealthCheckSpec,
  MemberEjection,
  PoolMemberStatus,
} from '../agent/protocol.js';
import { NotFoundError } from '../core/errors.js';
import {
  DEFAULT_EDGE_FAILOVER,
  decidePassiveEjection,
  ejectionCauseOf,
  type PoolFailure,
} from './edge-failover.js';
import { sameHealthCheck } from './health-check.js';
import { HealthMonitor, type HealthChange } from './health-monitor.js';
import { MemberOutcomes } from './member-outcomes.js';
import type { PoolRouting, WaitingAttempt } from './pool-exchange.js';
import { RouterTarget } from './router-target.js';
import { selectPoolMemberOtherThan, type UpstreamPool } from './split.js';

/**
 * undici's own connect timeout towards a member: only a backstop that bounds how long a connection attempt the
 * edge gave up on lingers. The edge's `connectTimeout` (at most this long) is its own timer per attempt.
 */
export const POOL_CONNECT_BACKSTOP_MS = 10_000;

/** An edge's upstream: another host's router. */
export interface PoolMemberAddress {
  id: string;
  host: string;
  port: number;
}

export interface PoolMember {
  target: RouterTarget;
  enabled: boolean;
  /** When it was disabled (wall clock); null while enabled. */
  disabledSinceMs: number | null;
  /** Why it is out of rotation for its health, since when; null while its health lets it in. */
  ejection: MemberEjection | null;
  outcomes: MemberOutcomes;
  /** Attempts sent to it that have no answer head yet: moved on when it is ejected. */
  waiting: Set<WaitingAttempt>;
}

/** A member left the rotation for its health, or came back (passing checks, or its checks were restarted). */
export type PoolMemberEvent =
  | { kind: 'ejected'; member: string; ejection: MemberEjection }
  | {
      kind: 'readmitted';
      member: string;
      /** The ejection that ended. */
      ejection: MemberEjection;
      atMs: number;
      how: 'passed-checks' | 'checks-restarted';
      /** False when a deploy disabled it meanwhile: healthy again, but not in rotation. */
      enabled: boolean;
    };

export interface EdgePoolOptions {
  healthCheck: HealthCheckSpec;
  /** Timeouts, retry budget and passive ejection; the defaults when absent. */
  failover?: EdgeFailoverSpec;
  /** A member turned healthy or unhealthy (its checks, or a failure the edge saw itself). */
  onHealthChange?: (change: HealthChange) => void;
  /** A member was ejected or re-admitted (what the agent journals). */
  onMemberEvent?: (event: PoolMemberEvent) => void;
}

/** What the router lends its pool: the rotation it routes by, its turn counter, and the clocks. */
export interface EdgePoolHooks {
  onRotationChange: () => void;
  /** The rotation requests are routed by now; null while the router is not routing to its pool. */
  route: () => UpstreamPool | null;
  nextTurn: () => number;
  /** For the times status shows (ejected since …). */
  wallClockMs?: () => number;
  /** For answer times, windows and silence. */
  monotonicMs?: () => number;
}

/** The router target of a new member: another host, so a short connect timeout (see POOL_CONNECT_BACKSTOP_MS). */
export function createPoolTarget(member: PoolMemberAddress): RouterTarget {
  return new RouterTarget(
    { id: member.id, release: '', port: member.port, host: member.host },
    { connectTimeoutMs: POOL_CONNECT_BACKSTOP_MS },
  );
}

/**
 * The members of an edge router's upstream pool: their targets, enabled flags, health checks and what the edge
 * saw of each lately. It derives the rotation (enabled and not unhealthy, in the order they were added) and calls
 * `onRotationChange` whenever that may have changed; the router owns the targets map, the route state and
 * draining. It is also the pool exchanges' `PoolRouting`: each member's bound, silence and retry budget, and
 * passive ejection (docs/architecture.md, "Rolling updates and the edge").
 *
 * A member whose health is not known yet is in rotation: a restarted edge serves at once, and a request that
 * cannot connect is retried on another member anyway. An ejected member comes back by its checks alone
 * (`healthyThreshold` passes in a row), without a deploy; a disabled one only when enabled again.
 */
export class EdgePool implements PoolRouting {
  readonly #members = new Map<string, PoolMember>();
  readonly #hooks: EdgePoolHooks;
  readonly #wallClockMs: () => number;
  readonly #monotonicMs: () => number;
  #spec: HealthCheckSpec;
  #failover: EdgeFailoverSpec;
  #monitor: HealthMonitor;
  #onHealthChange: ((change: HealthChange) => void) | null;
  #onMemberEvent: ((event: PoolMemberEvent) => void) | null;

  constructor(opts: EdgePoolOptions & EdgePoolHooks) {
    this.#hooks = opts;
    this.#wallClockMs = opts.wallClockMs ?? Date.now;
    this.#monotonicMs = opts.monotonicMs ?? (() => performance.now());
    this.#spec = { ...opts.healthCheck };
    this.#failover = { ...(opts.failover ?? DEFAULT_EDGE_FAILOVER) };
    this.#onHealthChange = opts.onHealthChange ?? null;
    this.#onMemberEvent = opts.onMemberEvent ?? null;
    this.#monitor = this.#startMonitor();
  }

  /**
   * New failover settings apply to the next attempts. A new health-check spec restarts the checks (health unknown
   * again, so ejected members are back in rotation until checked); the same one changes nothing.
   */
  reconfigure(opts: EdgePoolOptions): void {
    this.#onHealthChange = opts.onHealthChange ?? null;
    this.#onMemberEvent = opts.onMemberEvent ?? null;
    this.#failover = { ...(opts.failover ?? DEFAULT_EDGE_FAILOVER) };
    if (sameHealthCheck(this.#spec, opts.healthCheck)) return;
    void this.#monitor.stop();
    this.#spec = { ...opts.healthCheck };
    this.#monitor = this.#startMonitor();
    const atMs = this.#wallClockMs();
    for (const [id, member] of this.#members) {
      const ejection = member.ejection;
      if (ejection === null) continue;
      member.ejection = null;
      member.outcomes.forgetTimeouts();
      this.#onMemberEvent?.({
        kind: 'readmitted',
        member: id,
        ejection,
        atMs,
        how: 'checks-restarted',
        enabled: member.enabled,
      });
    }
    this.#hooks.onRotationChange();
  }

  get(id: string): PoolMember | undefined {
    return this.#members.get(id);
  }

  member(id: string): PoolMember {
    const member = this.#members.get(id);
    if (member === undefined) {
      throw new NotFoundError(`no pool member ${id} on this router`, { hint: 'add the member first' });
    }
    return member;
  }

  add(target: RouterTarget, enabled: boolean, disabledSinceMs: number | null = null): void {
    this.#members.set(target.id, {
      target,
      enabled,
      disabledSinceMs: enabled ? null : (disabledSinceMs ?? this.#wallClockMs()),
      ejection: null,
      outcomes: new MemberOutcomes(),
      waiting: new Set(),
    });
    this.#monitor.watch(target.id, target.address.port, target.host);
    this.#hooks.onRotationChange();
  }

  remove(id: string): boolean {
    if (!this.#members.delete(id)) return false;
    this.#monitor.unwatch(id);
    this.#hooks.onRotationChange();
    return true;
  }

  /** Returns whether the flag changed. */
  setEnabled(id: string, enabled: boolean): boolean {
    const member = this.member(id);
    if (member.enabled === enabled) return false;
    member.enabled = enabled;
    member.disabledSinceMs = enabled ? null : this.#wallClockMs();
    this.#hooks.onRotationChange();
    return true;
  }

  rotation(): string[] {
    const ids: string[] = [];
    for (const [id, member] of this.#members) {
      if (member.enabled && this.#monitor.health(id) !== 'unhealthy') ids.push(id);
    }
    return ids;
  }

  status(): PoolMemberStatus[] {
    const rotation = this.#hooks.route()?.members ?? [];
    return [...this.#members.values()].map(({ target, enabled, disabledSinceMs, ejection }) => {
      const health = this.#monitor.health(target.id) ?? 'unknown';
      return {
        id: target.id,
        address: target.host,
        port: target.address.port,
        enabled,
        healthy: health === 'healthy',
        health,
        inRotation: rotation.includes(target.id),
        inFlight: target.counters.inFlight,
        ejected: ejection === null ? null : { ...ejection },
        disabledSinceMs,
        answerTimeoutMs: this.answerBoundMs(target),
      };
    });
  }

  /** Stops the checks; the targets are the router's to close. */
  stop(): Promise<void> {
    return this.#monitor.stop();
  }

  // PoolRouting: what the pool exchanges ask and tell.

  get connectTimeoutMs(): number {
    return this.#failover.connectTimeoutMs;
  }

  get answerTimeoutMaxMs(): number {
    return this.#failover.answerTimeoutMaxMs;
  }

  answerBoundMs(target: RouterTarget): number {
    const member = this.#own(target);
    if (member === undefined) return this.#failover.answerTimeoutMaxMs;
    return member.outcomes.answerBoundMs(this.#monotonicMs(), this.#failover);
  }

  silentForMs(target: RouterTarget): number {
    return this.#own(target)?.outcomes.silentForMs(this.#monotonicMs()) ?? 0;
  }

  retryBudgetAllows(target: RouterTarget): boolean {
    return this.#own(target)?.outcomes.retryBudgetAllows(this.#monotonicMs(), this.#failover) ?? false;
  }

  attemptSent(target: RouterTarget, attempt: WaitingAttempt): void {
    const member = this.#own(target);
    if (member === undefined) return;
    member.outcomes.sent(this.#monotonicMs());
    member.waiting.add(attempt);
  }

  attemptAnswered(target: RouterTarget, attempt: WaitingAttempt, headMs: number): void {
    const member = this.#own(target);
    if (member === undefined) return;
    member.waiting.delete(attempt);
    member.outcomes.answered(this.#monotonicMs(), headMs);
  }

  attemptLeft(target: RouterTarget, attempt: WaitingAttempt): void {
    this.#own(target)?.waiting.delete(attempt);
  }

  retriedAway(target: RouterTarget): void {
    this.#own(target)?.outcomes.retriedAway(this.#monotonicMs());
  }

  /**
   * Passive health: a member that refuses, cannot be reached, or times out `ejectAfter` times in a row leaves
   * the rotation at once, before its checks notice (see `decidePassiveEjection`); its checks bring it back.
   */
  attemptFailed(target: RouterTarget, failure: Exclude<PoolFailure, 'stale'>, detail: string): void {
    const member = this.#own(target);
    if (member === undefined) return;
    const consecutiveTimeouts =
      failure === 'timeout' ? member.outcomes.timedOut() : member.outcomes.consecutiveTimeouts;
    if (member.ejection !== null || this.#monitor.health(target.id) === 'unhealthy') return;
    const rotation = this.#hooks.route()?.members ?? [];
    let enabledMembers = 0;
    let ejectedForTimeouts = 0;
    for (const m of this.#members.values()) {
      if (!m.enabled) continue;
      enabledMembers++;
      if (m.ejection?.cause === 'timeouts') ejectedForTimeouts++;
    }
    const eject = decidePassiveEjection({
      failure,
      consecutiveTimeouts,
      ejectAfter: this.#failover.ejectAfter,
      othersInRotation: rotation.filter((id) => id !== target.id).length,
      enabledMembers,
      ejectedForTimeouts,
    });
    if (!eject) return;
    const cause = ejectionCauseOf(failure);
    const why =
      failure === 'timeout'
        ? `${consecutiveTimeouts} requests in a row got nothing (last: ${detail})`
        : detail;
    member.ejection = { cause, sinceMs: this.#wallClockMs(), detail: why };
    // The monitor turns it unhealthy (only passing checks bring it back) and tells #onMonitorChange.
    this.#monitor.reportFailure(target.id, why);
  }

  alternativeTo(target: RouterTarget): RouterTarget | null {
    const route = this.#hooks.route();
    if (route === null) return null;
    const id = selectPoolMemberOtherThan(route, target.id, this.#hooks.nextTurn());
    return id === null ? null : (this.#members.get(id)?.target ?? null);
  }

  /** The member `target` is, while it still is one (a removed member's late attempts note nothing). */
  #own(target: RouterTarget): PoolMember | undefined {
    const member = this.#members.get(target.id);
    return member?.target === target ? member : undefined;
  }

  #startMonitor(): HealthMonitor {
    const monitor: HealthMonitor = new HealthMonitor({
      spec: this.#spec,
      onChange: (change) => {
        // A replaced monitor's last check must not speak for the new one.
        if (this.#monitor === monitor) this.#onMonitorChange(change);
      },
    });
    for (const { target } of this.#members.values()) {
      monitor.watch(target.id, target.address.port, target.host);
    }
    return monitor;
  }

  #onMonitorChange(change: HealthChange): void {
    const member = this.#members.get(change.key);
    if (member === undefined) return;
    if (change.health === 'unhealthy') {
      member.ejection ??= {
        cause: 'failed-checks',
        sinceMs: this.#wallClockMs(),
        detail: change.reason ?? 'check failed',
      };
      this.#hooks.onRotationChange();
      this.#onHealthChange?.(change);
      this.#onMemberEvent?.({ kind: 'ejected', member: change.key, ejection: { ...member.ejection } });
      // Its requests still waiting for an answer move on now (the idempotent ones; see pool-exchange.ts).
      for (const attempt of [...member.waiting]) attempt.memberEjected();
      return;
    }
    const ejection = member.ejection;
    member.ejection = null;
    member.outcomes.forgetTimeouts();
    this.#hooks.onRotationChange();
    this.#onHealthChange?.(change);
    if (ejection !== null) {
      this.#onMemberEvent?.({
        kind: 'readmitted',
        member: change.key,
        ejection,
        atMs: this.#wallClockMs(),
        how: 'passed-checks',
        enabled: member.enabled,
      });
    }
  }
}
