import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { formatDurationMs } from '../core/duration.js';
import { classifyPoolFailure, decideAtBound, type PoolFailure } from './edge-failover.js';
import { deriveClientResponseHeaders } from './headers.js';
import {
  BAD_GATEWAY_BODY,
  BAD_REQUEST_BODY,
  isRetryable,
  prepareUpstreamRequest,
  settleBrokenAnswer,
  writeAnswerHead,
  writeShortAnswer,
} from './proxy-exchange.js';
import { PoolAttempt, SUPERSEDED } from './pool-attempt.js';
import type { RouterTarget } from './router-target.js';

/** An attempt waiting for its member's answer head; told when that member is ejected meanwhile. */
export interface WaitingAttempt {
  memberEjected(): void;
}

/**
 * What an exchange to an edge's pool asks of the pool: its timeouts, each member's bound, silence and budget,
 * where to retry, and what to note (sent, answered, failed). `attemptFailed` may eject the member; the pool then
 * calls `memberEjected` on every attempt still waiting for that member.
 */
export interface PoolRouting {
  readonly connectTimeoutMs: number;
  /** The longest any attempt waits for an answer head; then it is a 502. */
  readonly answerTimeoutMaxMs: number;
  answerBoundMs(target: RouterTarget): number;
  silentForMs(target: RouterTarget): number;
  retryBudgetAllows(target: RouterTarget): boolean;
  attemptSent(target: RouterTarget, attempt: WaitingAttempt): void;
  attemptAnswered(target: RouterTarget, attempt: WaitingAttempt, headMs: number): void;
  /** The attempt waits no more (failed, cancelled, or its client left). */
  attemptLeft(target: RouterTarget, attempt: WaitingAttempt): void;
  attemptFailed(target: RouterTarget, failure: Exclude<PoolFailure, 'stale'>, detail: string): void;
  retriedAway(target: RouterTarget): void;
  /** Another member in rotation; null when there is none. */
  alternativeTo(target: RouterTarget): RouterTarget | null;
}

/** The reason given to undici when the edge gives up on an attempt (never seen by the client). */

/**
 * Forwards one request of an edge to a pool member, and moves it on when the member does not answer.
 *
 * Each attempt waits for an answer head up to its member's bound (recent p99, between `answerTimeout.min` and
 * `.max`). At the bound, an idempotent request not yet retried, whose member has answered nothing meanwhile and
 * whose retry budget allows it, is **cancelled and retried** once on another member (not hedged: the first
 * attempt is aborted before the second is sent, so it can never answer the client, and a silent member is not
 * handed more work). Otherwise the attempt waits on up to `answerTimeout.max`, then it is a 502. When its member
 * is ejected meanwhile, an idempotent request moves on at once. A request with a body, or any other method, is
 * never sent twice: it waits for its answer up to the cap (a slow POST on a live host keeps its answer) and is a
 * 502 after that; a connection that fails before it was sent is a 502 at once.
 *
 * Only the current attempt may touch the client: an attempt's callbacks are dropped once it is cancelled.
 */
export function startPoolExchange(
  first: RouterTarget,
  req: IncomingMessage,
  res: ServerResponse,
  routing: PoolRouting,
): void {
  const opts = prepareUpstreamRequest(req, res);
  if (opts === null) return;
  const exchange = new PoolExchange(res, opts, isRetryable(opts), routing);
  (res as CarriesPoolExchange)[kPoolExchange] = exchange;
  res.on('close', onClientClose);
  exchange.send(first);
}

const kPoolExchange = Symbol('slipway.poolExchange');
interface CarriesPoolExchange {
  [kPoolExchange]?: PoolExchange;
}
// A module-level listener finds its exchange through the response: no closure per request.
function onClientClose(this: ServerResponse): void {
  (this as CarriesPoolExchange)[kPoolExchange]?.clientClosed();
}

export class PoolExchange {
  readonly #startMs = performance.now();
  #attempt: PoolAttempt | null = null;
  #status = 0;
  #responding = false;
  #retried = false;
  #done = false;

  constructor(
    readonly res: ServerResponse,
    readonly opts: Dispatcher.DispatchOptions,
    readonly retryable: boolean,
    readonly routing: PoolRouting,
  ) {}

  send(target: RouterTarget): void {
    const attempt = new PoolAttempt(this, target);
    this.#attempt = attempt;
    target.begin();
    this.routing.attemptSent(target, attempt);
    attempt.arm(
      this.routing.connectTimeoutMs,
      this.routing.answerBoundMs(target),
      this.routing.answerTimeoutMaxMs,
    );
    target.pool.dispatch(this.opts, attempt);
  }

  isCurrent(attempt: PoolAttempt): boolean {
    return this.#attempt === attempt && !this.#done;
  }

  connected(controller: Dispatcher.DispatchController): void {
    if (this.res.destroyed) controller.abort(new Error('client went away'));
  }

  head(
    attempt: PoolAttempt,
    controller: Dispatcher.DispatchController,
    statusCode: number,
    message?: string,
  ): void {
    if (statusCode < 200) return; // 1xx interim answers (103 Early Hints) are not relayed
    attempt.disarm();
    this.routing.attemptAnswered(attempt.target, attempt, performance.now() - attempt.sentAtMs);
    const headers = deriveClientResponseHeaders((controller.rawHeaders as Buffer[] | null) ?? []);
    if (!writeAnswerHead(this.res, controller, statusCode, message, headers)) return;
    this.#status = statusCode;
    this.#responding = true;
  }

  data(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  end(): void {
    this.res.end();
    this.#finish(this.#status, false);
  }

  error(attempt: PoolAttempt, err: Error): void {
    attempt.settle();
    this.routing.attemptLeft(attempt.target, attempt);
    const res = this.res;
    const settled = settleBrokenAnswer(res, this.#responding);
    if (settled !== null) {
      this.#finish(this.#status, settled.proxyError);
      return;
    }
    const code = (err as { code?: string }).code ?? '';
    const failure = classifyPoolFailure(code);
    if (failure !== null && failure !== 'stale') {
      this.routing.attemptFailed(attempt.target, failure, describeFailure(attempt.target, code));
    }
    // With no other member, only a stale keep-alive connection is worth another try on the same one.
    const next =
      failure === null || !this.retryable || this.#retried
        ? null
        : (this.routing.alternativeTo(attempt.target) ?? (failure === 'stale' ? attempt.target : null));
    if (next !== null) {
      this.#moveTo(next);
      return;
    }
    if (code === 'UND_ERR_INVALID_ARG') {
      writeShortAnswer(res, 400, BAD_REQUEST_BODY);
      this.#finish(400, false);
      return;
    }
    this.#badGateway();
  }

  /** No connection within the connect timeout: the request was never sent. */
  connectTimedOut(attempt: PoolAttempt): void {
    this.#abandon(attempt);
    const timeout = formatDurationMs(this.routing.connectTimeoutMs);
    this.routing.attemptFailed(attempt.target, 'timeout', `no connection within ${timeout}`);
    const next = this.retryable && !this.#retried ? this.routing.alternativeTo(attempt.target) : null;
    if (next !== null) this.#retryOn(next);
    else this.#badGateway();
  }

  /** No answer head within the bound: retry elsewhere, or (the attempt's timer) wait on up to the cap. */
  boundExpired(attempt: PoolAttempt, boundMs: number): void {
    const target = attempt.target;
    const decision = decideAtBound({
      idempotent: this.retryable,
      retried: this.#retried,
      silentForMs: this.routing.silentForMs(target),
      boundMs,
      budgetAllows: this.routing.retryBudgetAllows(target),
    });
    if (decision.silent) {
      // May eject the member, which moves this very request on (memberEjected) before we get back here.
      this.routing.attemptFailed(target, 'timeout', `no answer within ${formatDurationMs(boundMs)}`);
      if (!this.isCurrent(attempt)) return;
    }
    const next = decision.retry ? this.routing.alternativeTo(target) : null;
    if (next !== null) {
      this.routing.retriedAway(target);
      this.#moveTo(next);
    }
  }

  /** No answer head within the cap: a 502, never a second send of this attempt. */
  capExpired(attempt: PoolAttempt): void {
    this.#abandon(attempt);
    this.#badGateway();
  }

  /** The member was ejected while this attempt waited for it: an idempotent request moves on at once. */
  memberEjected(attempt: PoolAttempt): void {
    if (!this.retryable || this.#retried) return;
    const next = this.routing.alternativeTo(attempt.target);
    if (next !== null) this.#moveTo(next);
  }

  clientClosed(): void {
    if (this.#done) return;
    const attempt = this.#attempt;
    if (attempt !== null) {
      this.routing.attemptLeft(attempt.target, attempt);
      attempt.cancel(new Error('client went away'));
    }
    this.#finish(this.#status, false);
  }

  /** Cancels the current attempt and sends the request to `next` (the one retry). */
  #moveTo(next: RouterTarget): void {
    const current = this.#attempt as PoolAttempt;
    if (current.live) this.#abandon(current);
    this.#retryOn(next);
  }

  #retryOn(next: RouterTarget): void {
    this.#retried = true;
    (this.#attempt as PoolAttempt).target.abandonAttempt();
    this.send(next);
  }

  /** The attempt is given up: it waits no more, and its later callbacks (an abort's error) are dropped. */
  #abandon(attempt: PoolAttempt): void {
    this.routing.attemptLeft(attempt.target, attempt);
    attempt.cancel(SUPERSEDED);
  }

  #badGateway(): void {
    writeShortAnswer(this.res, 502, BAD_GATEWAY_BODY);
    this.#finish(502, true);
  }

  #finish(status: number, proxyError: boolean): void {
    if (this.#done) return;
    this.#done = true;
    (this.res as CarriesPoolExchange)[kPoolExchange] = undefined;
    const attempt = this.#attempt as PoolAttempt;
    attempt.disarm();
    attempt.target.end(status, performance.now() - this.#startMs, proxyError, {
      method: this.opts.method,
      path: this.opts.path,
    });
  }
}

function describeFailure(target: RouterTarget, code: string): string {
  const where = `${target.host}:${target.address.port}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection`;
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `no connection to ${where} in time (${code})`;
    default:
      return `${where} cannot be reached (${code})`;
  }
}
