import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  ClientConnection,
  PLAIN_PROFILE,
  type ClientConnectionOwner,
  type FastPathRouting,
  type ListenerProfile,
} from './client-connection.js';

/** How often client timeouts are checked: coarse, so that no timer is armed per request. */
const SWEEP_INTERVAL_MS = 1_000;

/**
 * The router's public port when the fast path is on: a plain TCP server whose connections are read by
 * `ClientConnection`s; requests they do not take go to the classic path through `routing.handOff`.
 */
export class FastPathServer implements ClientConnectionOwner {
  readonly server: Server;
  readonly #connections = new Set<ClientConnection>();
  #sweeper: NodeJS.Timeout | null = null;

  constructor(
    readonly routing: FastPathRouting,
    /** What the plain port's requests get (X-Forwarded-Proto http, perhaps a redirect to HTTPS). */
    plainProfile: ListenerProfile = PLAIN_PROFILE,
  ) {
    // Not half-open: a client that ends its side aborts what it asked, as with Node's server (its
    // httpAllowHalfOpen is off by default), and a handed-off socket behaves as Node's own would.
    this.server = createServer({ noDelay: true }, (socket: Socket) => this.accept(socket, plainProfile));
  }

  /**
   * Reads a connection on the fast path: the plain port's, or a TLS listener's once its handshake is done (a
   * TLSSocket is a Socket whose bytes are the decrypted ones; hand-offs to Node's server work the same).
   */
  accept(socket: Socket, profile: ListenerProfile): void {
    this.#connections.add(new ClientConnection(socket, this.routing, this, profile));
    this.#sweeper ??= setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS).unref();
  }

  /** Connections the fast path still holds (not handed to the classic path). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  connectionGone(conn: ClientConnection): void {
    this.#connections.delete(conn);
    if (this.#connections.size === 0 && this.#sweeper !== null) {
      clearInterval(this.#sweeper);
      this.#sweeper = null;
    }
  }

  /** Stops listening and cuts every fast-path connection (their exchanges end as a client leaving). */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const conn of [...this.#connections]) conn.socket.destroy();
    return closed;
  }

  #sweep(): void {
    const now = performance.now();
    for (const conn of [...this.#connections]) if (now > conn.deadlineMs) conn.expire();
  }
}
