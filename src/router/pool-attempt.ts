import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { PoolExchange, WaitingAttempt } from './pool-exchange.js';
import type { RouterTarget } from './router-target.js';

/** Why an attempt was given up: the exchange moved its request on to another member. */
export const SUPERSEDED = new Error('the edge moved this request on');

/**
 * One send of the request to one member: undici's dispatch handler, with the attempt's own timer (undici's
 * timeouts are per pool; this one is per attempt and follows the member's bound).
 */
export class PoolAttempt implements Dispatcher.DispatchHandler, WaitingAttempt {
  readonly sentAtMs = performance.now();
  /** False once the exchange gave this attempt up: its callbacks are then dropped. */
  live = true;
  #controller: Dispatcher.DispatchController | null = null;
  /** One timer per attempt, set to its next deadline: the connection, the bound, the cap. */
  #timer: NodeJS.Timeout | null = null;
  #connectTimeoutMs = 0;
  #boundMs = 0;
  #capMs = 0;
  #connected = false;
  #boundPassed = false;

  constructor(
    readonly exchange: PoolExchange,
    readonly target: RouterTarget,
  ) {}

  arm(connectTimeoutMs: number, boundMs: number, capMs: number): void {
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#boundMs = Math.min(boundMs, capMs);
    this.#capMs = capMs;
    this.#scheduleNext(0);
  }

  disarm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** The next deadline still ahead of `elapsedMs` (since the attempt was sent). */
  #scheduleNext(elapsedMs: number): void {
    let next = this.#capMs;
    if (!this.#connected) next = Math.min(next, this.#connectTimeoutMs);
    if (!this.#boundPassed) next = Math.min(next, this.#boundMs);
    this.disarm();
    this.#timer = setTimeout(() => this.#expired(), Math.max(0, next - elapsedMs));
  }

  #expired(): void {
    this.#timer = null;
    if (!this.#active()) return;
    // Timers fire at their delay or later; a millisecond of slack for the clock's rounding.
    const elapsedMs = performance.now() - this.sentAtMs + 1;
    if (!this.#connected && elapsedMs >= this.#connectTimeoutMs) {
      this.exchange.connectTimedOut(this);
      return;
    }
    if (!this.#boundPassed && elapsedMs >= this.#boundMs) {
      this.#boundPassed = true;
      this.exchange.boundExpired(this, this.#boundMs);
      if (this.#active()) this.#scheduleNext(elapsedMs);
      return;
    }
    if (elapsedMs >= this.#capMs) {
      this.exchange.capExpired(this);
      return;
    }
    this.#scheduleNext(elapsedMs);
  }

  /** Ended by undici (an error): nothing more comes from it. */
  settle(): void {
    this.live = false;
    this.disarm();
  }

  /** Gives the attempt up: its request is aborted (or, not yet on a connection, never written). */
  cancel(reason: Error): void {
    this.live = false;
    this.disarm();
    this.#controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (!this.#active()) {
      // Given up while it waited for a connection: undici then never writes it.
      controller.abort(SUPERSEDED);
      return;
    }
    this.#controller = controller;
    this.#connected = true;
    this.exchange.connected(controller);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    _headers: unknown,
    message?: string,
  ): void {
    if (this.#active()) this.exchange.head(this, controller, statusCode, message);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#active()) this.exchange.data(controller, chunk);
  }

  onResponseEnd(): void {
    if (this.#active()) this.exchange.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#active()) this.exchange.error(this, err);
  }

  memberEjected(): void {
    if (this.#active()) this.exchange.memberEjected(this);
  }

  #active(): boolean {
    return this.live && this.exchange.isCurrent(this);
  }
}
