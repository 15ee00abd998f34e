import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  UpstreamConnection,
  type UpstreamConnectionOwner,
  type UpstreamUser,
} from './upstream-connection.js';

export interface UpstreamPoolOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** From the request head sent to the first byte... to the whole answer head. */
  headersTimeoutMs: number;
  /** An idle kept-alive socket is closed after this long (the apps' own keep-alive is usually 5 s). */
  idleTimeoutMs: number;
}

/** How often timeouts are checked: they are coarse (±1 s) so that no timer is armed per request. */
const SWEEP_INTERVAL_MS = 1_000;
/** Every upstream socket reads into this buffer: a read is consumed before the next one can happen. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * The fast path's keep-alive connections to one target: one request per socket at a time (no pipelining to the
 * app), the most recently used idle socket first, so that the others age out.
 */
export class FastUpstreamPool implements UpstreamConnectionOwner {
  readonly #idle: UpstreamConnection[] = [];
  readonly #all = new Set<UpstreamConnection>();
  #state: 'open' | 'closing' | 'destroyed' = 'open';
  #sweeper: NodeJS.Timeout | null = null;
  #whenEmpty: (() => void) | null = null;

  constructor(readonly options: UpstreamPoolOptions) {}

  /** Connections open now (idle or in use). */
  get size(): number {
    return this.#all.size;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /**
   * Gives `user` a connection: an idle one at once (`fresh` asks for a new one, for a retry), or a new one when
   * it connects. A closed pool answers with `onUpstreamClosed('ECLOSED')`, asynchronously.
   */
  acquire(user: UpstreamUser, fresh = false): void {
    if (this.#state !== 'open') {
      queueMicrotask(() => user.onUpstreamClosed('ECLOSED'));
      return;
    }
    const idle = fresh ? undefined : this.#idle.pop();
    if (idle !== undefined) {
      idle.user = user;
      idle.reused = true;
      user.onUpstreamReady(idle);
      return;
    }
    // Reads land in one shared buffer (no 64 KiB allocation and stream bookkeeping per read); the connection
    // copies out what it passes on.
    let conn: UpstreamConnection | null = null;
    const socket = connect({
      host: this.options.host,
      port: this.options.port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        // Backpressure pauses the socket itself (socket.pause() stops reading): always true here.
        callback: (n: number, buf: Uint8Array) => {
          conn?.read(n, buf);
          return true;
        },
      },
    });
    conn = new UpstreamConnection(socket, this, performance.now());
    conn.user = user;
    this.#all.add(conn);
    this.#sweeper ??= setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS).unref();
  }

  /** The exchange is done and the connection can carry another request. */
  release(conn: UpstreamConnection): void {
    conn.user = null;
    conn.waitingForHead = false;
    if (this.#state !== 'open' || conn.socket.destroyed || !conn.connected) {
      conn.socket.destroy();
      return;
    }
    // A paused socket would not notice that the app closed it.
    if (conn.socket.isPaused()) conn.socket.resume();
    conn.sinceMs = performance.now();
    this.#idle.push(conn);
  }

  /** The connection must not carry another request (the app said close, the client left mid-answer …). */
  discard(conn: UpstreamConnection): void {
    conn.user = null;
    conn.socket.destroy();
  }

  connectionClosed(conn: UpstreamConnection): void {
    this.#all.delete(conn);
    const at = this.#idle.indexOf(conn);
    if (at !== -1) this.#idle.splice(at, 1);
    if (this.#all.size > 0) return;
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    const done = this.#whenEmpty;
    this.#whenEmpty = null;
    done?.();
  }

  /** Closes idle connections now and the others when their exchange ends. */
  close(): Promise<void> {
    if (this.#state === 'open') this.#state = 'closing';
    for (const conn of [...this.#idle]) conn.socket.destroy();
    return this.#empty();
  }

  /** Cuts every connection, in use or not: their exchanges fail. */
  destroy(): Promise<void> {
    this.#state = 'destroyed';
    for (const conn of [...this.#all]) conn.fail('EDESTROYED');
    return this.#empty();
  }

  #empty(): Promise<void> {
    if (this.#all.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const previous = this.#whenEmpty;
      this.#whenEmpty = () => {
        previous?.();
        resolve();
      };
    });
  }

  #sweep(): void {
    const now = performance.now();
    const { connectTimeoutMs, headersTimeoutMs, idleTimeoutMs } = this.options;
    for (const conn of this.#all) {
      const age = now - conn.sinceMs;
      if (!conn.connected) {
        if (age > connectTimeoutMs) conn.fail('ETIMEDOUT');
      } else if (conn.user === null) {
        if (age > idleTimeoutMs) conn.socket.destroy();
      } else if (conn.waitingForHead && headersTimeoutMs > 0 && age > headersTimeoutMs) {
        conn.fail('UND_ERR_HEADERS_TIMEOUT');
      }
    }
  }
}
