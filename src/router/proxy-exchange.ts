import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import {
  MAX_UPSTREAM_REQUEST_HEAD_BYTES,
  deriveClientResponseHeaders,
  deriveUpstreamRequestHeaders,
  measureHead,
  requestHasBody,
} from './headers.js';
import { parseRequestTarget } from './request-target.js';
import type { RouterTarget } from './router-target.js';

const BAD_GATEWAY_BODY = 'Bad gateway: the app did not answer (slipway router)\n';
const BAD_REQUEST_BODY = 'Bad request (slipway router)\n';
const BAD_TARGET_BODY = 'Bad request: the request target must be a path (slipway router)\n';
const HEAD_TOO_LARGE_BODY =
  'Request header fields too large once forwarded: the app takes at most 16 KiB (slipway router)\n';
/** What undici adds to a head: `connection: keep-alive` and a framing header for a streamed body. */
const UNDICI_HEAD_RESERVE_BYTES = 64;

/**
 * Errors that mean the upstream closed a connection the pool believed was reusable, before any byte of the
 * response: the usual case is an app closing an idle keep-alive socket just as the router reuses it.
 */
const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
/**
 * Behind an edge, an upstream is a whole host: these also mean it is gone or unreachable (refused, no route,
 * connect timeout), and a retry goes to another host.
 */
const POOL_RETRYABLE_CODES = new Set([
  ...RETRYABLE_CODES,
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  // Sent, but the host never answered (its link is gone): safe to send a GET again elsewhere.
  'UND_ERR_HEADERS_TIMEOUT',
]);
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What an exchange to a pool member (an edge's upstream) may ask of its router. */
export interface UpstreamFailover {
  /** `target` failed with `code` before any byte of an answer. */
  reportFailure(target: RouterTarget, code: string): void;
  /** Another member in rotation to retry on; null when there is none. */
  alternativeTo(target: RouterTarget): RouterTarget | null;
}

const kExchange = Symbol('slipway.exchange');
interface CarriesExchange {
  [kExchange]?: ProxyExchange;
}

/**
 * Forwards one HTTP request to a target and streams the answer back. `extraResponseHeaders` (flat name/value
 * pairs, e.g. a canary's sticky cookie) are added to the target's response headers. `failover` is set when the
 * target is a pool member: an idempotent request that cannot reach it is retried once on another member.
 */
export function startProxyExchange(
  target: RouterTarget,
  req: IncomingMessage,
  res: ServerResponse,
  extraResponseHeaders: readonly string[] | null = null,
  failover: UpstreamFailover | null = null,
): void {
  const raw = req.rawHeaders;
  const method = req.method ?? 'GET';
  const requestTarget = parseRequestTarget(method, req.url ?? '/');
  if (requestTarget.kind === 'invalid') {
    writeShortAnswer(res, 400, BAD_TARGET_BODY);
    return;
  }
  const authority = requestTarget.kind === 'absolute' ? requestTarget.authority : null;
  const headers = deriveUpstreamRequestHeaders(
    raw,
    { clientAddress: req.socket.remoteAddress, proto: 'http' },
    authority,
  );
  const startLine = `${method} ${requestTarget.path} HTTP/1.1`;
  if (measureHead(startLine, headers) + UNDICI_HEAD_RESERVE_BYTES > MAX_UPSTREAM_REQUEST_HEAD_BYTES) {
    writeShortAnswer(res, 431, HEAD_TOO_LARGE_BODY);
    return;
  }
  const hasBody = requestHasBody(raw);
  const opts: Dispatcher.DispatchOptions = {
    path: requestTarget.path,
    method,
    headers,
    body: hasBody ? req : null,
  };
  const retryable = !hasBody && IDEMPOTENT_METHODS.has(opts.method);
  const exchange = new ProxyExchange(target, res, opts, retryable, extraResponseHeaders, failover);
  (res as CarriesExchange)[kExchange] = exchange;
  res.on('close', onClientClose);
  target.begin();
  target.pool.dispatch(opts, exchange);
}

// Module-level listeners find their exchange through the response: no closure per request.
function onClientClose(this: ServerResponse): void {
  (this as CarriesExchange)[kExchange]?.clientClosed();
}
function onClientDrain(this: ServerResponse): void {
  (this as CarriesExchange)[kExchange]?.resumeUpstream();
}

/** undici's dispatch handler for one request: counters, retry, backpressure and client aborts. */
class ProxyExchange implements Dispatcher.DispatchHandler {
  readonly #startMs = performance.now();
  #controller: Dispatcher.DispatchController | null = null;
  #status = 0;
  #responding = false;
  #retried = false;
  #done = false;

  constructor(
    public target: RouterTarget,
    readonly res: ServerResponse,
    readonly opts: Dispatcher.DispatchOptions,
    readonly retryable: boolean,
    readonly extraResponseHeaders: readonly string[] | null,
    readonly failover: UpstreamFailover | null,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.res.destroyed) controller.abort(new Error('client went away'));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    _h: unknown,
    message?: string,
  ): void {
    if (statusCode < 200) return; // 1xx interim answers (103 Early Hints) are not relayed
    const headers = deriveClientResponseHeaders((controller.rawHeaders as Buffer[] | null) ?? []);
    if (this.extraResponseHeaders !== null) headers.push(...this.extraResponseHeaders);
    try {
      if (message) this.res.writeHead(statusCode, message, headers);
      else this.res.writeHead(statusCode, headers);
    } catch (err) {
      // Node refuses what the app sent (an invalid header): nothing reached the client yet, answer 502.
      controller.abort(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.#status = statusCode;
    this.#responding = true;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', onClientDrain);
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.#finish(this.#status, false);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#done) return;
    const res = this.res;
    if (res.destroyed) {
      this.#finish(this.#status, false); // the client left; not the app's fault nor the router's
      return;
    }
    if (this.#responding) {
      // Part of the answer is out: the only honest signal left is to cut the connection.
      res.destroy();
      this.#finish(this.#status, true);
      return;
    }
    const code = (err as { code?: string }).code ?? '';
    if (this.failover !== null) {
      if (this.#retryOnPool(code)) return;
    } else if (this.retryable && !this.#retried && RETRYABLE_CODES.has(code)) {
      this.#retried = true;
      this.target.pool.dispatch(this.opts, this);
      return;
    }
    if (code === 'UND_ERR_INVALID_ARG') {
      writeShortAnswer(res, 400, BAD_REQUEST_BODY);
      this.#finish(400, false);
      return;
    }
    writeShortAnswer(res, 502, BAD_GATEWAY_BODY);
    this.#finish(502, true);
  }

  /** A pool member failed before answering: tell the router, and retry once on another member if allowed. */
  #retryOnPool(code: string): boolean {
    const failover = this.failover as UpstreamFailover;
    const failed = this.target;
    failover.reportFailure(failed, code);
    if (!this.retryable || this.#retried || !POOL_RETRYABLE_CODES.has(code)) return false;
    // With no other member, only a stale keep-alive connection is worth another try on the same one.
    const next = failover.alternativeTo(failed) ?? (RETRYABLE_CODES.has(code) ? failed : null);
    if (next === null) return false;
    this.#retried = true;
    if (next !== failed) {
      failed.abandonAttempt();
      next.begin();
      this.target = next;
    }
    next.pool.dispatch(this.opts, this);
    return true;
  }

  clientClosed(): void {
    if (this.#done) return;
    // Stops the upstream request; undici then calls onResponseError, which finishes the exchange.
    if (this.#controller !== null) this.#controller.abort(new Error('client went away'));
  }

  resumeUpstream(): void {
    this.#controller?.resume();
  }

  #finish(status: number, proxyError: boolean): void {
    if (this.#done) return;
    this.#done = true;
    (this.res as CarriesExchange)[kExchange] = undefined;
    this.target.end(status, performance.now() - this.#startMs, proxyError, {
      method: this.opts.method,
      path: this.opts.path,
    });
  }
}

export function writeShortAnswer(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
