import { isIPv6 } from 'node:net';
import type { Duplex } from 'node:stream';
import { Pool } from 'undici';
import type { TargetObserver } from './canary-tripwire.js';
import { FastUpstreamPool } from './fast-path/upstream-pool.js';
import { TargetCounters } from './metrics.js';

export interface TargetAddress {
  id: string;
  release: string;
  port: number;
  /** Where the target listens; 127.0.0.1 (this host) unless it is another host's router behind an edge. */
  host?: string;
}

export const LOOPBACK = '127.0.0.1';

/** Upstream connection pool settings; router-internal tuning, not user configuration. */
const POOL_OPTIONS: Pool.Options = {
  // One connection per concurrent request, kept alive between requests; no pipelining (a slow response
  // would hold back the ones queued behind it).
  connections: null,
  pipelining: 1,
  keepAliveTimeout: 4_000,
  connectTimeout: 5_000,
  // Responses may legitimately take long (reports, exports) or stream (server-sent events): undici's 300 s
  // header timeout is kept, the idle-body timeout is off.
  headersTimeout: 300_000,
  bodyTimeout: 0,
};

/**
 * One upstream of the router: its keep-alive pool, its counters, and the open tunnels (WebSocket) that drain
 * must wait for. In-flight accounting lives here so that drain can wait without polling.
 */
export class RouterTarget {
  readonly pool: Pool;
  /** The fast path's keep-alive sockets to the same address, with the same timeouts. */
  readonly fast: FastUpstreamPool;
  readonly counters: TargetCounters;
  readonly tunnels = new Set<Duplex>();
  readonly host: string;
  /** Watches this target's requests (a canary's tripwire); null for almost every target. */
  observer: TargetObserver | null = null;
  #idleWaiters: Set<() => void> | null = null;

  /** `connectTimeoutMs` shortens the connect timeout (an edge's upstreams: a dead host must not hold a request long). */
  constructor(
    readonly address: TargetAddress,
    opts: { connectTimeoutMs?: number; headersTimeoutMs?: number } = {},
  ) {
    this.host = address.host ?? LOOPBACK;
    const options: Pool.Options = {
      ...POOL_OPTIONS,
      ...(opts.connectTimeoutMs === undefined ? {} : { connectTimeout: opts.connectTimeoutMs }),
      ...(opts.headersTimeoutMs === undefined ? {} : { headersTimeout: opts.headersTimeoutMs }),
    };
    this.pool = new Pool(
      `http://${isIPv6(this.host) ? `[${this.host}]` : this.host}:${address.port}`,
      options,
    );
    this.fast = new FastUpstreamPool({
      host: this.host,
      port: address.port,
      connectTimeoutMs: options.connectTimeout as number,
      headersTimeoutMs: options.headersTimeout as number,
      idleTimeoutMs: options.keepAliveTimeout as number,
    });
    this.counters = new TargetCounters(address.id, address.release);
  }

  get id(): string {
    return this.address.id;
  }

  begin(): void {
    this.counters.inFlight++;
    this.observer?.onBegin();
  }

  end(
    status: number,
    durationMs: number | null,
    proxyError: boolean,
    request?: { method: string; path: string },
  ): void {
    this.counters.record(status, durationMs, proxyError, request);
    this.observer?.onEnd(status, durationMs);
    if (--this.counters.inFlight === 0 && this.#idleWaiters !== null) this.#notifyIdle();
  }

  /** An attempt that moves to another target (a retry after a connection failure): no answer to count here. */
  abandonAttempt(): void {
    this.observer?.onAbandon();
    if (--this.counters.inFlight === 0 && this.#idleWaiters !== null) this.#notifyIdle();
  }

  /** Resolves when nothing is in flight; `cancel()` stops the wait (the promise then never resolves). */
  whenIdle(): { idle: Promise<void>; cancel: () => void } {
    if (this.counters.inFlight === 0) return { idle: Promise.resolve(), cancel: () => undefined };
    let waiter = (): void => undefined;
    const idle = new Promise<void>((resolve) => (waiter = resolve));
    (this.#idleWaiters ??= new Set()).add(waiter);
    return {
      idle,
      cancel: () => {
        this.#idleWaiters?.delete(waiter);
      },
    };
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = null;
    for (const resolve of waiters ?? []) resolve();
  }

  /** Closes idle upstream connections once the in-flight requests are done. */
  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.fast.close()]);
  }

  /** Cuts everything still open: in-flight requests fail, tunnels are destroyed. */
  async destroy(): Promise<void> {
    for (const socket of this.tunnels) socket.destroy();
    this.tunnels.clear();
    await Promise.all([this.pool.destroy(), this.fast.destroy()]);
  }
}
