import type { ServerEvent } from '../server/api-types.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting';
type Listener = (event: ServerEvent) => void;

const REOPEN_AFTER_MS = 5000;
const EVENT_NAMES: readonly ServerEvent['kind'][] = ['ledger', 'step', 'deployment', 'job'];

/**
 * One EventSource on GET /api/v1/events for the whole dashboard, fanned out to the pages that listen. The browser
 * sends the session cookie with it and reconnects by itself, sending Last-Event-ID so no ledger event is missed.
 */
export class LiveEvents {
  #source: EventSource | null = null;
  readonly #listeners = new Set<Listener>();
  readonly #stateListeners = new Set<(state: LiveState) => void>();
  #state: LiveState = 'connecting';
  #retry: ReturnType<typeof setTimeout> | undefined;

  get state(): LiveState {
    return this.#state;
  }

  start(): void {
    clearTimeout(this.#retry);
    if (this.#source) return;
    const source = new EventSource('/api/v1/events', { withCredentials: true });
    source.onopen = () => this.#setState('live');
    source.onerror = () => {
      this.#setState('reconnecting');
      // The browser retries a dropped stream by itself, but gives up on an error answer (a proxy's 502 while the
      // server restarts): then a new stream is opened after a while.
      if (source.readyState !== EventSource.CLOSED || this.#source !== source) return;
      this.#source = null;
      this.#retry = setTimeout(() => this.start(), REOPEN_AFTER_MS);
    };
    for (const name of EVENT_NAMES)
      source.addEventListener(name, (e) => {
        const data = (e as MessageEvent<string>).data;
        let parsed: unknown;
        try {
          parsed = JSON.parse(data);
        } catch {
          return;
        }
        const event = { ...(parsed as object), kind: name } as ServerEvent;
        for (const listener of this.#listeners) listener(event);
      });
    this.#source = source;
  }

  stop(): void {
    clearTimeout(this.#retry);
    this.#source?.close();
    this.#source = null;
    this.#setState('connecting');
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  #setState(state: LiveState): void {
    if (state === this.#state) return;
    this.#state = state;
    for (const listener of this.#stateListeners) listener(state);
  }
}
