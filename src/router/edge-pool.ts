import type { HealthCheckSpec, PoolMemberStatus } from '../agent/protocol.js';
import { NotFoundError } from '../core/errors.js';
import { HealthMonitor, type HealthChange } from './health-monitor.js';
import { RouterTarget } from './router-target.js';

/** A pool member's upstream is another host: a dead one must not hold a request for long before the retry. */
const POOL_CONNECT_TIMEOUT_MS = 1_000;
/**
 * A host whose link is cut never answers the requests already sent to it; past this wait an idempotent request
 * is retried on another host (an app behind an edge that takes longer to start answering a GET is cut short).
 */
const POOL_HEADERS_TIMEOUT_MS = 10_000;

/** Failures that mean nothing answers at the member's address (unlike a reset keep-alive connection). */
const CONNECT_FAILURE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** An edge's upstream: another host's router. */
export interface PoolMemberAddress {
  id: string;
  host: string;
  port: number;
}

export interface PoolMember {
  target: RouterTarget;
  enabled: boolean;
}

export interface EdgePoolOptions {
  healthCheck: HealthCheckSpec;
  /** A member turned healthy or unhealthy (its checks, or a refused connection). */
  onHealthChange?: (change: HealthChange) => void;
}

/** The router target of a new member: another host, so a short connect timeout. */
export function createPoolTarget(member: PoolMemberAddress): RouterTarget {
  return new RouterTarget(
    { id: member.id, release: '', port: member.port, host: member.host },
    { connectTimeoutMs: POOL_CONNECT_TIMEOUT_MS, headersTimeoutMs: POOL_HEADERS_TIMEOUT_MS },
  );
}

/**
 * The members of an edge router's upstream pool: their targets, enabled flags and health checks. It derives the
 * rotation (enabled and not unhealthy, in the order they were added) and calls `onRotationChange` whenever that
 * may have changed; the router owns the targets map, the route state and draining.
 *
 * A member whose health is not known yet is in rotation: a restarted edge serves at once, and a request that
 * cannot connect is retried on another member anyway.
 */
export class EdgePool {
  readonly #members = new Map<string, PoolMember>();
  readonly #onRotationChange: () => void;
  #spec: HealthCheckSpec;
  #monitor: HealthMonitor;
  #onHealthChange: ((change: HealthChange) => void) | null;

  constructor(opts: EdgePoolOptions & { onRotationChange: () => void }) {
    this.#onRotationChange = opts.onRotationChange;
    this.#spec = { ...opts.healthCheck };
    this.#onHealthChange = opts.onHealthChange ?? null;
    this.#monitor = this.#startMonitor();
  }

  /** A new health-check spec restarts the checks (health unknown again); the same one changes nothing. */
  reconfigure(opts: EdgePoolOptions): void {
    this.#onHealthChange = opts.onHealthChange ?? null;
    if (sameHealthCheck(this.#spec, opts.healthCheck)) return;
    void this.#monitor.stop();
    this.#spec = { ...opts.healthCheck };
    this.#monitor = this.#startMonitor();
    this.#onRotationChange();
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

  add(target: RouterTarget, enabled: boolean): void {
    this.#members.set(target.id, { target, enabled });
    this.#monitor.watch(target.id, target.address.port, target.host);
    this.#onRotationChange();
  }

  remove(id: string): boolean {
    if (!this.#members.delete(id)) return false;
    this.#monitor.unwatch(id);
    this.#onRotationChange();
    return true;
  }

  /** Returns whether the flag changed. */
  setEnabled(id: string, enabled: boolean): boolean {
    const member = this.member(id);
    if (member.enabled === enabled) return false;
    member.enabled = enabled;
    this.#onRotationChange();
    return true;
  }

  rotation(): string[] {
    const ids: string[] = [];
    for (const [id, member] of this.#members) {
      if (member.enabled && this.#monitor.health(id) !== 'unhealthy') ids.push(id);
    }
    return ids;
  }

  /**
   * Passive health: a member nothing answers at leaves the rotation at once, before its checks notice — unless
   * it is the last one in `rotation` (only the checks may empty the pool; a blip at the edge itself must not).
   */
  reportFailure(target: RouterTarget, code: string, rotation: readonly string[]): void {
    if (!CONNECT_FAILURE_CODES.has(code) || this.#members.get(target.id)?.target !== target) return;
    if (!rotation.some((id) => id !== target.id)) return;
    this.#monitor.reportFailure(
      target.id,
      `the edge could not connect to ${target.host}:${target.address.port} (${code})`,
    );
  }

  status(rotation: readonly string[]): PoolMemberStatus[] {
    return [...this.#members.values()].map(({ target, enabled }) => {
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
      };
    });
  }

  /** Stops the checks; the targets are the router's to close. */
  stop(): Promise<void> {
    return this.#monitor.stop();
  }

  #startMonitor(): HealthMonitor {
    const monitor: HealthMonitor = new HealthMonitor({
      spec: this.#spec,
      onChange: (change) => {
        // A replaced monitor's last round must not speak for the new one.
        if (this.#monitor !== monitor || !this.#members.has(change.key)) return;
        this.#onRotationChange();
        this.#onHealthChange?.(change);
      },
    });
    for (const { target } of this.#members.values()) {
      monitor.watch(target.id, target.address.port, target.host);
    }
    return monitor;
  }
}

function sameHealthCheck(a: HealthCheckSpec, b: HealthCheckSpec): boolean {
  return (
    a.path === b.path &&
    a.intervalMs === b.intervalMs &&
    a.timeoutMs === b.timeoutMs &&
    a.healthyThreshold === b.healthyThreshold &&
    a.unhealthyThreshold === b.unhealthyThreshold
  );
}
