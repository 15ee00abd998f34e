import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { deriveClientResponseHeaders, deriveUpstreamRequestHeaders, requestHasBody } from './headers.js';
import type { RouterTarget } from './router-target.js';

const BAD_GATEWAY_BODY = 'Bad gateway: the app did not answer (slipway router)\n';
const BAD_REQUEST_BODY = 'Bad request (slipway router)\n';

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

/** Forwards one HTTP request to a target and streams the answer back. */
export function startProxyExchange(target: RouterTarget, req: IncomingMessage, res: ServerResponse): void {
  const raw = req.rawHeaders;
  const hasBody = requestHasBody(raw);
  const opts: Dispatcher.DispatchOptions = {
    path: req.url ?? '/',
    method: req.method as Dispatcher.HttpMethod,
    headers: deriveUpstreamRequestHeaders(raw, { clientAddress: req.socket.remoteAddress, proto: 'http' }),
    body: hasBody ? req : null,
  };
  const exchange = new ProxyExchange(target, res, opts, !hasBody && IDEMPOTENT_METHODS.has(opts.method));
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

/**
 * undici's dispatch handler for one request: counters, retry, backpressure and client aborts.
 * It implements undici's original handler interface (onConnect/onHeaders/onData/onComplete/onError): undici
 * calls it directly, where the newer interface goes through an adapter that parses every response's headers
 * into an object the router does not need (measured: the router's CPU per request is lower this way).
 */
class ProxyExchange {
  readonly #startMs = performance.now();
  #abort: ((err?: Error) => void) | null = null;
  #resume: (() => void) | null = null;
  #status = 0;
  #responding = false;
  #retried = false;
  #done = false;

  constructor(
    readonly target: RouterTarget,
    readonly res: ServerResponse,
    readonly opts: Dispatcher.DispatchOptions,
    readonly retryable: boolean,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.res.destroyed) abort(new Error('client went away'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx interim answers (103 Early Hints) are not relayed
    const headers = deriveClientResponseHeaders(rawHeaders);
    try {
      if (statusText) this.res.writeHead(statusCode, statusText, headers);
      else this.res.writeHead(statusCode, headers);
    } catch (err) {
      // Node refuses what the app sent (an invalid header): nothing reached the client yet, answer 502.
      this.#abort?.(err instanceof Error ? err : new Error(String(err)));
      return true;
    }
    this.#status = statusCode;
    this.#responding = true;
    this.#resume = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', onClientDrain);
    return false; // pauses the upstream socket until the client has taken what it was sent
  }

  onComplete(): void {
    this.res.end();
    this.#finish(this.#status, false);
  }

  onError(err: Error): void {
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
    if (this.retryable && !this.#retried && RETRYABLE_CODES.has((err as { code?: string }).code ?? '')) {
      this.#retried = true;
      this.target.pool.dispatch(this.opts, this);
      return;
    }
    if ((err as { code?: string }).code === 'UND_ERR_INVALID_ARG') {
      writeShortAnswer(res, 400, BAD_REQUEST_BODY);
      this.#finish(400, false);
      return;
    }
    writeShortAnswer(res, 502, BAD_GATEWAY_BODY);
    this.#finish(502, true);
  }

  clientClosed(): void {
    if (this.#done) return;
    // Stops the upstream request; undici then calls onError, which finishes the exchange.
    this.#abort?.(new Error('client went away'));
  }

  resumeUpstream(): void {
    this.#resume?.();
  }

  #finish(status: number, proxyError: boolean): void {
    if (this.#done) return;
    this.#done = true;
    (this.res as CarriesExchange)[kExchange] = undefined;
    this.target.end(status, performance.now() - this.#startMs, proxyError);
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
