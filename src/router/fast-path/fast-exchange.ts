import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import { deriveClientResponseHeaders, deriveUpstreamRequestHeaders, formatHead } from '../headers.js';
import type { RouterTarget } from '../router-target.js';
import { CHUNKED_INVALID, CHUNKED_MORE, ChunkTracker } from './chunk-tracker.js';
import { currentHttpDate } from './http-date.js';
import { formatShortAnswer } from './short-answer.js';
import type { RequestHead } from './request-head.js';
import { parseResponseHead, type ResponseHead } from './response-head.js';
import type { UpstreamConnection, UpstreamUser } from './upstream-connection.js';
import { hasHstsHeader } from '../tls/https-redirect.js';

const BAD_GATEWAY_BODY = 'Bad gateway: the app did not answer (slipway router)\n';
/** An app closed a kept-alive socket just as it was reused: the request never reached it. */
const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', 'EOF']);
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const MAX_JOINED_BODY_BYTES = 16 * 1024;

/** What an exchange needs from the client connection it serves. */
export interface ExchangeClient {
  readonly socket: Socket;
  /** The exchange can take request body bytes now. */
  pumpBody(): void;
  /** The answer is out (or the exchange gave up); `closeClient` ends the client connection after it. */
  exchangeDone(closeClient: boolean): void;
}

/** The request head the fast path sends upstream: the client's, rewritten like the classic path's. */
export function formatUpstreamRequestHead(
  head: RequestHead,
  clientAddress: string | undefined,
  proto: 'http' | 'https' = 'http',
): string {
  const headers = deriveUpstreamRequestHeaders(head.rawHeaders, { clientAddress, proto });
  return formatHead(`${head.method} ${head.target} HTTP/1.1`, headers);
}

/**
 * One request forwarded on the fast path: the head rewritten like the classic path's, the body streamed with
 * backpressure, the answer relayed as it comes, framed by Content-Length, chunked or close. Counts on its target
 * exactly as `ProxyExchange` does: `begin()` at the start, `end(status, ms, proxyError, request)` once.
 */
export class FastExchange implements UpstreamUser {
  readonly #startMs = performance.now();
  readonly #requestHead: string;
  /** Request body bytes not yet sent upstream. */
  bodyRemaining: number;
  #conn: UpstreamConnection | null = null;
  #reused = false;
  #upstreamWritable = false;
  #retried = false;
  #sawAnswerBytes = false;
  #pending: Buffer | null = null;
  #response: ResponseHead | null = null;
  #bodyLeft = 0;
  #chunks: ChunkTracker | null = null;
  /** The app sent bytes past the end of its answer: that socket is out of step. */
  #overrun = false;
  #closeClient = false;
  #done = false;
  /** While not null, client writes are joined here (an answer's head and first body bytes). */
  #joined: string | null = null;

  constructor(
    readonly client: ExchangeClient,
    readonly target: RouterTarget,
    readonly head: RequestHead,
    /** The head to send upstream (`formatUpstreamRequestHead`). */
    requestHead: string,
    readonly extraResponseHeaders: readonly string[] | null,
    /** Strict-Transport-Security for answers that carry none (a TLS listener or route with HSTS on); null: none. */
    readonly hsts: string | null = null,
  ) {
    this.bodyRemaining = head.contentLength;
    this.#requestHead = requestHead;
  }

  start(): void {
    this.target.begin();
    this.target.fast.acquire(this);
  }

  /** Connected, with nothing holding the upstream's write side back. */
  get wantsBody(): boolean {
    return this.#upstreamWritable && this.bodyRemaining > 0 && !this.#done;
  }

  sendBody(chunk: Buffer): void {
    this.bodyRemaining -= chunk.length;
    if (!(this.#conn as UpstreamConnection).socket.write(chunk)) this.#upstreamWritable = false;
  }

  onUpstreamReady(conn: UpstreamConnection): void {
    if (this.#done) {
      this.target.fast.release(conn); // the client left while it connected; the socket is unused
      return;
    }
    this.#conn = conn;
    this.#reused = conn.reused;
    conn.waitingForHead = true;
    conn.sinceMs = performance.now();
    this.#upstreamWritable = conn.socket.write(this.#requestHead, 'latin1');
    if (this.bodyRemaining > 0) this.client.pumpBody();
  }

  onUpstreamDrain(): void {
    this.#upstreamWritable = true;
    if (this.bodyRemaining > 0) this.client.pumpBody();
  }

  onUpstreamData(chunk: Buffer): void {
    this.#sawAnswerBytes = true;
    if (this.#response !== null) {
      this.#relayBody(chunk);
      return;
    }
    const buf = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
    let start = 0;
    for (;;) {
      const parsed = parseResponseHead(buf, start, this.head.method);
      if (parsed.kind === 'incomplete') {
        this.#pending = start === 0 ? buf : buf.subarray(start);
        return;
      }
      if (parsed.kind === 'invalid') {
        this.#badGateway(); // what the app sent cannot be relayed faithfully
        return;
      }
      start += parsed.head.headBytes;
      if (parsed.head.status >= 200) {
        this.#pending = null;
        // Head and the body's first bytes leave in one write: a syscall per request saved. A small body joins
        // the head as one latin1 string (bytes round-trip), cheaper than a writev of two parts.
        const rest = buf.length - start;
        if (rest > 0 && rest <= MAX_JOINED_BODY_BYTES) this.#joined = '';
        this.#startResponse(parsed.head);
        if (!this.#done && rest > 0) this.#relayBody(buf.subarray(start));
        this.#writeJoined();
        return;
      }
      // 1xx interim answers (103 Early Hints) are not relayed; the final one follows.
    }
  }

  onUpstreamClosed(code: string): void {
    this.#conn = null;
    this.#upstreamWritable = false;
    if (this.#done) return;
    const response = this.#response;
    if (response === null) {
      if (this.#mayRetry(code)) {
        this.#retried = true;
        this.target.fast.acquire(this, true);
      } else this.#badGateway();
      return;
    }
    if (response.framing === 'close') {
      this.#complete();
      return;
    }
    // Part of the answer is out: the only honest signal left is to cut the client's connection.
    this.client.socket.destroy();
    this.#finish(response.status, true);
  }

  /** The client's socket closed: stop the upstream side; not the app's fault nor the router's. */
  clientClosed(): void {
    if (this.#done) return;
    const conn = this.#conn;
    this.#conn = null;
    if (conn !== null) this.target.fast.discard(conn);
    this.#finish(this.#response?.status ?? 0, false);
  }

  /** The client's write buffer emptied: let the app's answer flow again. */
  clientDrained(): void {
    if (this.#conn?.socket.isPaused()) this.#conn.socket.resume();
  }

  #mayRetry(code: string): boolean {
    return (
      this.#reused &&
      !this.#retried &&
      !this.#sawAnswerBytes &&
      this.head.contentLength === 0 &&
      RETRYABLE_METHODS.has(this.head.method) &&
      RETRYABLE_CODES.has(code)
    );
  }

  #startResponse(head: ResponseHead): void {
    (this.#conn as UpstreamConnection).waitingForHead = false;
    this.#response = head;
    const headers = deriveClientResponseHeaders(head.rawHeaders);
    if (!head.hasDate) headers.push('date', currentHttpDate());
    if (this.extraResponseHeaders !== null) headers.push(...this.extraResponseHeaders);
    const hsts = this.hsts;
    if (hsts !== null && !hasHstsHeader(headers)) headers.push('strict-transport-security', hsts);
    if (head.framing === 'chunked') headers.push('transfer-encoding', 'chunked');
    // A request body not fully read leaves the client connection out of step: close it after this answer.
    this.#closeClient = !this.head.keepAlive || head.framing === 'close' || this.bodyRemaining > 0;
    if (this.#closeClient) headers.push('connection', 'close');
    else headers.push('connection', 'keep-alive', 'keep-alive', 'timeout=5');
    const reason = head.reason === '' ? (STATUS_CODES[head.status] ?? '') : head.reason;
    this.#write(formatHead(`HTTP/1.1 ${head.status} ${reason}`, headers));
    if (head.framing === 'length') this.#bodyLeft = head.contentLength;
    else if (head.framing === 'chunked') this.#chunks = new ChunkTracker();
    if (head.framing === 'none' || (head.framing === 'length' && head.contentLength === 0)) this.#complete();
  }

  #relayBody(chunk: Buffer): void {
    const response = this.#response as ResponseHead;
    switch (response.framing) {
      case 'length':
        if (chunk.length < this.#bodyLeft) {
          this.#bodyLeft -= chunk.length;
          this.#write(chunk);
          return;
        }
        this.#overrun = chunk.length > this.#bodyLeft;
        this.#write(this.#overrun ? chunk.subarray(0, this.#bodyLeft) : chunk);
        this.#bodyLeft = 0;
        this.#complete();
        return;
      case 'chunked': {
        const end = (this.#chunks as ChunkTracker).track(chunk);
        if (end === CHUNKED_INVALID) {
          this.client.socket.destroy();
          this.#discardUpstream();
          this.#finish(response.status, true);
        } else if (end === CHUNKED_MORE) this.#write(chunk);
        else {
          this.#overrun = end < chunk.length;
          this.#write(this.#overrun ? chunk.subarray(0, end) : chunk);
          this.#complete();
        }
        return;
      }
      case 'close':
        this.#write(chunk);
        return;
      case 'none':
        this.#overrun = true; // a body where none may be
        return;
    }
  }

  #write(data: Buffer | string): void {
    if (this.#joined !== null) {
      this.#joined += typeof data === 'string' ? data : data.toString('latin1');
      return;
    }
    this.#flush(
      typeof data === 'string' ? this.client.socket.write(data, 'latin1') : this.client.socket.write(data),
    );
  }

  #writeJoined(): void {
    const joined = this.#joined;
    this.#joined = null;
    if (joined !== null && joined !== '') this.#flush(this.client.socket.write(joined, 'latin1'));
  }

  #flush(written: boolean): void {
    if (!written) this.#conn?.socket.pause(); // resumed by clientDrained()
  }

  #complete(): void {
    this.#writeJoined(); // before the next pipelined answer (or the end of the connection)
    const conn = this.#conn;
    const response = this.#response as ResponseHead;
    this.#conn = null;
    if (conn !== null) {
      if (response.reusable && !this.#overrun && this.bodyRemaining === 0) this.target.fast.release(conn);
      else this.target.fast.discard(conn);
    }
    this.#finish(response.status, false);
    this.client.exchangeDone(this.#closeClient);
  }

  #badGateway(): void {
    this.#discardUpstream();
    const close = !this.head.keepAlive || this.bodyRemaining > 0;
    const fields = this.hsts === null ? '' : `strict-transport-security: ${this.hsts}\r\n`;
    this.#write(formatShortAnswer(502, BAD_GATEWAY_BODY, close, this.head.method, fields));
    this.#finish(502, true);
    this.client.exchangeDone(close);
  }

  #discardUpstream(): void {
    const conn = this.#conn;
    this.#conn = null;
    if (conn !== null) this.target.fast.discard(conn);
  }

  #finish(status: number, proxyError: boolean): void {
    if (this.#done) return;
    this.#done = true;
    this.target.end(status, performance.now() - this.#startMs, proxyError, {
      method: this.head.method,
      path: this.head.target,
    });
  }
}
