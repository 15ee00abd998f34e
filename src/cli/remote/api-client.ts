import { SlipwayError } from '../../core/errors.js';
import { mapApiError, mapNetworkError } from './map-api-error.js';
import { createSseParser, type SseMessage } from './sse-parser.js';

export const API_BASE = '/api/v1';
/** A request that gets no answer within this long fails (a deploy is a job, so no request is long). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** The server sends a comment every 15 s; a stream silent for this long is taken as dropped. */
export const STREAM_IDLE_MS = 45_000;
/** Before reconnecting a dropped stream: the server's `retry:` if it sent one, else this; at most the max. */
const DEFAULT_RECONNECT_DELAY_MS = 1_000;
const MAX_RECONNECT_DELAY_MS = 10_000;

export interface ApiClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8430` (a path prefix is kept). */
  server: string;
  /** The bearer token (from SLIPWAY_TOKEN; never an argument). */
  token: string;
}

export interface EventStreamOptions {
  signal: AbortSignal;
  /**
   * Called each time the stream is open, before its events are read: the caller reads the state then (the
   * stream buffers what happens meanwhile), and again after a reconnect for what the gap may have hidden.
   */
  onOpen?: (reopened: boolean) => Promise<void>;
}

/**
 * The CLI's side of the HTTP API: JSON requests with the bearer token, failures as SlipwayErrors (the server's
 * `error`/`hint`, or which URL could not be reached), and the SSE stream of server events.
 */
export class ApiClient {
  readonly server: string;
  readonly #token: string;

  constructor(options: ApiClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.#token = options.token;
  }

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.size > 0 ? `?${params.toString()}` : '';
    return this.#request<T>('GET', `${path}${qs}`);
  }

  post<T>(path: string, body: object = {}): Promise<T> {
    return this.#request<T>('POST', path, body);
  }

  /**
   * Yields the server's events until `signal` aborts (or the caller stops iterating). A stream that drops (the
   * connection closes, or stays silent past the keep-alive) is opened once more, after the server's `retry:`
   * delay, with Last-Event-ID, so ledger events in the gap are replayed; `onOpen` then re-reads what is not
   * replayed (steps, jobs). A reconnect that fails, or a reopened stream that closes before sending anything, is
   * an error.
   */
  async *events(options: EventStreamOptions): AsyncGenerator<SseMessage> {
    const stop = new AbortController();
    const stopped = AbortSignal.any([options.signal, stop.signal]);
    let lastId: string | null = null;
    let reconnecting = false;
    let retryMs = DEFAULT_RECONNECT_DELAY_MS;
    try {
      for (;;) {
        const parser = createSseParser(lastId);
        const idle = new AbortController();
        let response: Response;
        try {
          response = await this.#open(`${API_BASE}/events`, AbortSignal.any([stopped, idle.signal]), lastId);
        } catch (err) {
          if (stopped.aborted) return;
          throw err;
        }
        await options.onOpen?.(reconnecting);
        let received = false;
        let idleTimer = setTimeout(() => idle.abort(), STREAM_IDLE_MS);
        try {
          const decoder = new TextDecoder();
          for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
            received = true;
            clearTimeout(idleTimer);
            idleTimer = setTimeout(() => idle.abort(), STREAM_IDLE_MS);
            for (const message of parser.push(decoder.decode(chunk, { stream: true }))) yield message;
          }
        } catch {
          // A dropped connection or the idle timeout: reconnect below.
        } finally {
          clearTimeout(idleTimer);
        }
        if (stopped.aborted) return;
        if (reconnecting && !received) {
          throw new SlipwayError(`the event stream of ${this.server} closed again right after reconnecting`, {
            hint: 'the server may be restarting; follow the deployment again in a moment',
          });
        }
        lastId = parser.lastEventId();
        retryMs = Math.min(parser.retryMs() ?? retryMs, MAX_RECONNECT_DELAY_MS);
        reconnecting = true;
        // As a browser's EventSource does: wait the server's `retry:` (a restarting replica gets a moment).
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryMs);
          stopped.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
        if (stopped.aborted) return;
      }
    } finally {
      stop.abort();
    }
  }

  async #open(path: string, signal: AbortSignal, lastEventId: string | null): Promise<Response> {
    const response = await this.#fetch('GET', path, {
      signal,
      headers: {
        accept: 'text/event-stream',
        ...(lastEventId !== null ? { 'last-event-id': lastEventId } : {}),
      },
    });
    if (!response.ok) throw await this.#failure('GET', path, response);
    return response;
  }

  async #request<T>(method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
    const response = await this.#fetch(method, `${API_BASE}${path}`, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw await this.#failure(method, `${API_BASE}${path}`, response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  async #fetch(
    method: string,
    path: string,
    init: { signal: AbortSignal; headers: Record<string, string>; body?: string },
  ): Promise<Response> {
    try {
      return await fetch(`${this.server}${path}`, {
        method,
        signal: init.signal,
        headers: { ...init.headers, authorization: `Bearer ${this.#token}` },
        ...(init.body !== undefined ? { body: init.body } : {}),
        redirect: 'error',
      });
    } catch (err) {
      // Stopped on purpose (Ctrl-C, the stream's end): not a network failure. A timeout is one.
      const reason = init.signal.reason as { name?: string } | undefined;
      if (init.signal.aborted && reason?.name !== 'TimeoutError') throw err;
      throw mapNetworkError(err, this.server);
    }
  }

  async #failure(method: string, path: string, response: Response) {
    const body = await response.text().catch(() => '');
    return mapApiError({
      status: response.status,
      statusText: response.statusText,
      body,
      retryAfter: response.headers.get('retry-after'),
      request: `${method} ${path.split('?')[0] ?? path}`,
      server: this.server,
    });
  }
}
