import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RouterTarget } from '../router-target.js';
import { MAX_UPSTREAM_REQUEST_HEAD_BYTES } from '../headers.js';
import { FastExchange, formatUpstreamRequestHead, type ExchangeClient } from './fast-exchange.js';
import { MAX_REQUEST_HEAD_BYTES, parseRequestHead, type RequestHead } from './request-head.js';
import { formatShortAnswer } from './short-answer.js';
import type { RedirectRule } from '../tls/https-redirect.js';

/** Node's server defaults: keep-alive idle 5 s; a head must be complete within 60 s (slowloris). */
export const KEEP_ALIVE_IDLE_MS = 5_000;
export const HEAD_TIMEOUT_MS = 60_000;

const REQUEST_TIMEOUT_ANSWER = formatShortAnswer(408, 'Request timeout (slipway router)\n', true);
export const HEAD_TOO_LARGE_BODY =
  'Request header fields too large once forwarded: the app takes at most 16 KiB (slipway router)\n';

/** What the router decides for one eligible request head. */
export type FastRoute =
  | {
      kind: 'proxy';
      target: RouterTarget;
      extraResponseHeaders: readonly string[] | null;
      /** Strict-Transport-Security for this answer (a front door's route); absent: the listener's. */
      hsts?: string | null;
    }
  /** The router's own short answer: 503 (no target) unless `status` says otherwise (a front door's 404). */
  | { kind: 'unavailable'; body: string; status?: number }
  /**
   * An answer the router makes itself, as given (a front door's redirect or ACME challenge answer): `fields` are
   * further field lines, each ending with CRLF; plain text unless `contentType` says otherwise.
   */
  | { kind: 'answer'; status: number; body: string; fields: string; contentType?: string }
  | { kind: 'classic' };

/** The router's side of the fast path. */
export interface FastPathRouting {
  /** Where a request goes; `profile`: the listener it came in on (plain or TLS). */
  route(head: RequestHead, profile: ListenerProfile): FastRoute;
  /** Gives the connection to the classic path (Node's http server), which keeps it from then on. */
  handOff(socket: Socket): void;
}

/** What the listener a connection came in on asks of its requests. */
export interface ListenerProfile {
  /** X-Forwarded-Proto for the app: the scheme the client used. */
  readonly proto: 'http' | 'https';
  /** Field lines (CRLF-ended) the router adds to its own answers: HSTS on a TLS listener; '' for none. */
  readonly ownAnswerFields: string;
  /** Strict-Transport-Security added to the app's answers that carry none (a TLS listener with HSTS on). */
  readonly hsts: string | null;
  /** A plain listener sending clients to HTTPS: the redirect for a request, or null to serve it. */
  readonly redirect: RedirectRule | null;
}

export const PLAIN_PROFILE: ListenerProfile = {
  proto: 'http',
  ownAnswerFields: '',
  hsts: null,
  redirect: null,
};

/** What a connection tells the fast-path server about itself. */
export interface ClientConnectionOwner {
  connectionGone(conn: ClientConnection): void;
}

type Phase = 'idle' | 'head' | 'exchange' | 'closing' | 'gone';

/**
 * One client connection on the fast path: reads request heads, forwards eligible requests one after the other
 * (pipelined requests wait in the buffer), and hands the connection to the classic path at the first request
 * that is not eligible, with the bytes not yet consumed put back on the socket.
 */
export class ClientConnection implements ExchangeClient {
  #phase: Phase = 'idle';
  /** Bytes received and not consumed yet. */
  #buf: Buffer | null = null;
  #exchange: FastExchange | null = null;
  #readingPaused = false;
  #pumping = false;
  #pumpAgain = false;
  /** When the current wait times out (performance.now() ms); read by the server's sweep. */
  deadlineMs: number;

  constructor(
    readonly socket: Socket,
    readonly routing: FastPathRouting,
    readonly owner: ClientConnectionOwner,
    readonly profile: ListenerProfile = PLAIN_PROFILE,
  ) {
    this.deadlineMs = performance.now() + HEAD_TIMEOUT_MS;
    socket.on('data', this.#onData);
    socket.on('drain', this.#onDrain);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  /** Called by the sweep once `deadlineMs` has passed. */
  expire(): void {
    if (this.#phase === 'head') this.socket.end(REQUEST_TIMEOUT_ANSWER, 'latin1');
    if (this.#phase === 'idle' || this.#phase === 'head') {
      this.#phase = 'closing';
      this.socket.destroySoon();
    }
  }

  pumpBody(): void {
    this.#pump();
  }

  exchangeDone(closeClient: boolean): void {
    this.#exchange = null;
    if (closeClient) {
      this.#phase = 'closing';
      this.#buf = null;
      this.socket.end();
      return;
    }
    this.#phase = this.#buf === null ? 'idle' : 'head';
    this.deadlineMs = performance.now() + (this.#buf === null ? KEEP_ALIVE_IDLE_MS : HEAD_TIMEOUT_MS);
    this.#pump();
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#phase === 'closing' || this.#phase === 'gone') return;
    this.#buf = this.#buf === null ? chunk : Buffer.concat([this.#buf, chunk]);
    if (this.#phase === 'idle') {
      this.#phase = 'head';
      this.deadlineMs = performance.now() + HEAD_TIMEOUT_MS;
    }
    this.#pump();
  };

  readonly #onDrain = (): void => {
    this.#exchange?.clientDrained();
  };

  readonly #onError = (): void => undefined; // 'close' follows

  readonly #onClose = (): void => {
    this.#phase = 'gone';
    this.owner.connectionGone(this);
    this.#exchange?.clientClosed();
    this.#exchange = null;
    this.#buf = null;
  };

  /** Moves buffered bytes along: body to the exchange in progress, or the next request head. Not re-entrant. */
  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#step();
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
  }

  #step(): void {
    for (;;) {
      const exchange = this.#exchange;
      if (exchange !== null) {
        this.#feedBody(exchange);
        return;
      }
      if (this.#phase !== 'idle' && this.#phase !== 'head') return;
      const buf = this.#buf;
      if (buf === null) {
        this.#setReading(true);
        return;
      }
      const parsed = parseRequestHead(buf);
      if (parsed.kind === 'incomplete') {
        this.#setReading(true);
        return;
      }
      if (parsed.kind === 'classic') {
        this.#handOff();
        return;
      }
      const head = parsed.head;
      const redirect = this.profile.redirect?.(hostOf(head.rawHeaders), head.method, head.target) ?? null;
      if (redirect !== null) {
        this.#buf = buf.length > head.headBytes ? buf.subarray(head.headBytes) : null;
        this.#answerShort(head, redirect.status, '', `location: ${redirect.location}\r\n`);
        return;
      }
      const route = this.routing.route(head, this.profile);
      if (route.kind === 'classic') {
        this.#handOff();
        return;
      }
      this.#buf = buf.length > head.headBytes ? buf.subarray(head.headBytes) : null;
      if (route.kind === 'unavailable') {
        this.#answerShort(head, route.status ?? 503, route.body);
        return;
      }
      if (route.kind === 'answer') {
        this.#answerShort(head, route.status, route.body, route.fields, route.contentType);
        return;
      }
      const upstreamHead = formatUpstreamRequestHead(head, this.socket.remoteAddress, this.profile.proto);
      if (upstreamHead.length > MAX_UPSTREAM_REQUEST_HEAD_BYTES) {
        this.#answerShort(head, 431, HEAD_TOO_LARGE_BODY);
        return;
      }
      this.#phase = 'exchange';
      this.deadlineMs = Infinity; // the upstream's headers timeout applies now
      const hsts = route.hsts === undefined ? this.profile.hsts : route.hsts;
      this.#exchange = new FastExchange(
        this,
        route.target,
        head,
        upstreamHead,
        route.extraResponseHeaders,
        hsts,
      );
      this.#exchange.start();
    }
  }

  /** The router's own answer to a request it does not forward. */
  #answerShort(head: RequestHead, status: number, body: string, fields = '', contentType?: string): void {
    // A body would have to be read and thrown away: simpler to close after the answer.
    const close = !head.keepAlive || head.contentLength > 0;
    const own = fields + this.profile.ownAnswerFields;
    const answer = formatShortAnswer(status, body, close, head.method, own, contentType);
    this.socket.write(answer, 'latin1');
    this.exchangeDone(close); // the next pipelined request, if any, on the next turn of #pump
  }

  #feedBody(exchange: FastExchange): void {
    while (this.#buf !== null && exchange.wantsBody) {
      const buf = this.#buf;
      const take = Math.min(buf.length, exchange.bodyRemaining);
      this.#buf = take < buf.length ? buf.subarray(take) : null;
      exchange.sendBody(take < buf.length ? buf.subarray(0, take) : buf);
    }
    // Pipelined requests (or a body the app is slow to take) wait in the buffer, up to the head limit.
    this.#setReading(this.#buf === null || this.#buf.length <= MAX_REQUEST_HEAD_BYTES);
  }

  #setReading(on: boolean): void {
    if (on === !this.#readingPaused) return;
    this.#readingPaused = !on;
    if (on) this.socket.resume();
    else this.socket.pause();
  }

  #handOff(): void {
    this.#phase = 'gone';
    this.owner.connectionGone(this);
    this.socket.off('data', this.#onData);
    this.socket.off('drain', this.#onDrain);
    this.socket.off('error', this.#onError);
    this.socket.off('close', this.#onClose);
    const rest = this.#buf;
    this.#buf = null;
    if (rest !== null) this.socket.unshift(rest);
    this.routing.handOff(this.socket);
    if (this.#readingPaused || this.socket.isPaused()) this.socket.resume();
  }
}

/** The Host header's value (the fast path takes only requests with exactly one). */
function hostOf(raw: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') return raw[i + 1];
  }
  return undefined;
}
