import type { Socket } from 'node:net';

/** Whoever uses an upstream connection for one exchange; events go to it, not to per-request listeners. */
export interface UpstreamUser {
  /** The connection is connected and this user's to write to. */
  onUpstreamReady(conn: UpstreamConnection): void;
  onUpstreamData(chunk: Buffer): void;
  /** The connection's write buffer emptied. */
  onUpstreamDrain(): void;
  /** The connection closed (or could not be opened); `code` is the error code, or 'EOF' for a plain close. */
  onUpstreamClosed(code: string): void;
}

/** What the pool learns from a connection. */
export interface UpstreamConnectionOwner {
  connectionClosed(conn: UpstreamConnection): void;
}

/**
 * One keep-alive socket to a target. Its listeners are added once, for the socket's life, and forward to the
 * current user: a request costs no listener or closure. `sinceMs` is read by the pool's sweep (connect, idle and
 * headers timeouts) so that no timer is armed per request.
 */
export class UpstreamConnection {
  user: UpstreamUser | null = null;
  connected = false;
  /** It carried a request before: a close before any byte of an answer may be an app's stale keep-alive. */
  reused = false;
  /** Sent a request head and waiting for the answer's head (the headers timeout applies). */
  waitingForHead = false;
  /** When the current phase began (connecting, idle, or waiting for a head), performance.now() ms. */
  sinceMs: number;
  #code = '';

  constructor(
    readonly socket: Socket,
    readonly owner: UpstreamConnectionOwner,
    nowMs: number,
  ) {
    this.sinceMs = nowMs;
    socket.on('connect', this.#onConnect);
    socket.on('drain', this.#onDrain);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  /** Closes the socket; its user (if any) learns `code`. */
  fail(code: string): void {
    if (this.#code === '') this.#code = code;
    this.socket.destroy();
  }

  readonly #onConnect = (): void => {
    this.connected = true;
    this.user?.onUpstreamReady(this);
  };

  /** `onread` callback: `n` bytes in the shared read buffer, copied before they are passed on. */
  read(n: number, buf: Uint8Array): void {
    if (this.user !== null) this.user.onUpstreamData(Buffer.from(buf.subarray(0, n)));
    else this.fail('EUNEXPECTED'); // bytes on an idle connection: it cannot be trusted with a request
  }

  readonly #onDrain = (): void => {
    this.user?.onUpstreamDrain();
  };

  readonly #onError = (err: NodeJS.ErrnoException): void => {
    if (this.#code === '') this.#code = err.code ?? 'ECONNRESET';
  };

  readonly #onClose = (): void => {
    this.owner.connectionClosed(this);
    const user = this.user;
    this.user = null;
    user?.onUpstreamClosed(this.#code === '' ? 'EOF' : this.#code);
  };
}
