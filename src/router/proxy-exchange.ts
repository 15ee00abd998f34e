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

export const BAD_GATEWAY_BODY = 'Bad gateway: the app did not answer (slipway router)\n';
export const BAD_REQUEST_BODY = 'Bad request (slipway router)\n';
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
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const kExchange = Symbol('slipway.exchange');
interface CarriesExchange {
  [kExchange]?: ProxyExchange;
}

/**
 * Forwards one HTTP request to a target and streams the answer back. `extraResponseHeaders` (flat name/value
 * pairs, e.g. a canary's sticky cookie) are added to the target's response headers. (An edge's requests to its
 * pool go through pool-exchange.ts, which fails over between members.)
 */
export function startProxyExchange(
  target: RouterTarget,
  req: IncomingMessage,
  res: ServerResponse,
  extraResponseHeaders: readonly string[] | null = null,
): void {
  const opts = prepareUpstreamRequest(req, res);
  if (opts === null) return;
  const exchange = new ProxyExchange(target, res, opts, isRetryable(opts), extraResponseHeaders);
  (res as CarriesExchange)[kExchange] = exchange;
  res.on('close', onClientClose);
  target.begin();
  target.pool.dispatch(opts, exchange);
}

/**
 * The request to send upstream: its target made a path, its head rewritten (hop-by-hop headers out,
 * `X-Forwarded-*` in), its body the client's stream. Null when the router answered itself (400 for a target
 * that is no path, 431 for a head too large once forwarded).
 */
export function prepareUpstreamRequest(
  req: IncomingMessage,
  res: ServerResponse,
): Dispatcher.DispatchOptions | null {
  const raw = req.rawHeaders;
  const method = req.method ?? 'GET';
  const requestTarget = parseRequestTarget(method, req.url ?? '/');
  if (requestTarget.kind === 'invalid') {
    writeShortAnswer(res, 400, BAD_TARGET_BODY);
    return null;
  }
  const authority = requestTarget.kind === 'absolute' ? requestTarget.authority : null;
  const headers = deriveUpstreamRequestHeaders(
    raw,
    { clientAddress: req.socket.remoteAddress, proto: schemeOf(req.socket) },
    authority,
  );
  const startLine = `${method} ${requestTarget.path} HTTP/1.1`;
  if (measureHead(startLine, headers) + UNDICI_HEAD_RESERVE_BYTES > MAX_UPSTREAM_REQUEST_HEAD_BYTES) {
    writeShortAnswer(res, 431, HEAD_TOO_LARGE_BODY);
    return null;
  }
  return { path: requestTarget.path, method, headers, body: requestHasBody(raw) ? req : null };
}

/** The scheme a client reached the router with: a TLS listener's sockets are encrypted. */
export function schemeOf(socket: object): 'http' | 'https' {
  return (socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
}

/** A bodyless GET, HEAD or OPTIONS: safe to send again when it did not get an answer. */
export function isRetryable(opts: Dispatcher.DispatchOptions): boolean {
  return opts.body === null && IDEMPOTENT_METHODS.has(opts.method);
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
    readonly target: RouterTarget,
    readonly res: ServerResponse,
    readonly opts: Dispatcher.DispatchOptions,
    readonly retryable: boolean,
    readonly extraResponseHeaders: readonly string[] | null,
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
    if (!writeAnswerHead(this.res, controller, statusCode, message, headers)) return;
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
    const settled = settleBrokenAnswer(res, this.#responding);
    if (settled !== null) {
      this.#finish(this.#status, settled.proxyError);
      return;
    }
    const code = (err as { code?: string }).code ?? '';
    if (this.retryable && !this.#retried && RETRYABLE_CODES.has(code)) {
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

/**
 * After an upstream error: the client had left (not the app's fault nor the router's), or part of the answer is
 * out and cutting the connection is the only honest signal left (a proxy error). Null when nothing reached the
 * client yet: the exchange may retry or answer itself.
 */
export function settleBrokenAnswer(res: ServerResponse, responding: boolean): { proxyError: boolean } | null {
  if (res.destroyed) return { proxyError: false };
  if (!responding) return null;
  res.destroy();
  return { proxyError: true };
}

/**
 * Writes the app's answer head to the client; false when Node refuses it (an invalid header the app sent): nothing
 * reached the client yet, so the upstream request is aborted and the exchange answers 502.
 */
export function writeAnswerHead(
  res: ServerResponse,
  controller: Dispatcher.DispatchController,
  statusCode: number,
  message: string | undefined,
  headers: string[],
): boolean {
  try {
    if (message) res.writeHead(statusCode, message, headers);
    else res.writeHead(statusCode, headers);
    return true;
  } catch (err) {
    controller.abort(err instanceof Error ? err : new Error(String(err)));
    return false;
  }
}

/** An answer the router makes itself with further headers (maintenance mode's page). */
export function writeRouterAnswer(
  res: ServerResponse,
  answer: {
    status: number;
    body: string;
    contentType: string;
    headers: ReadonlyArray<readonly [string, string]>;
  },
): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(answer.status, {
    ...Object.fromEntries(answer.headers),
    'content-type': answer.contentType,
    'content-length': Buffer.byteLength(answer.body),
  });
  res.end(answer.body);
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
