import type { ServerEvent } from '../api-types.js';
import type { Grant } from '../auth/roles.js';
import { isEventVisible } from './event-visibility.js';
import { formatSseComment, formatSseEvent, formatSseRetry } from './sse-frame.js';

/** One connected SSE client: a byte stream with a bounded queue. */
export interface SseClient {
  readonly stream: ReadableStream<Uint8Array>;
  /** Queues a frame; false when the client is gone or too slow (it is then closed). */
  send(frame: string): boolean;
  close(): void;
  readonly closed: boolean;
}

/**
 * A client whose unread bytes may not exceed `maxQueuedBytes`: the HTTP layer reads the stream only as fast as
 * the socket drains, so a client that does not read makes the queue grow; past the limit it is dropped rather
 * than allowed to grow the server's memory (it reconnects with Last-Event-ID and misses nothing of the ledger).
 */
export function createSseClient(maxQueuedBytes: number, onClose: () => void): SseClient {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    try {
      controller.close();
    } catch {
      // Already cancelled by the reader.
    }
    onClose();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      cancel: () => {
        // The client disconnected.
        if (!closed) {
          closed = true;
          onClose();
        }
      },
    },
    { highWaterMark: maxQueuedBytes, size: (chunk) => chunk.byteLength },
  );
  return {
    stream,
    get closed() {
      return closed;
    },
    send(frame) {
      if (closed) return false;
      const bytes = encoder.encode(frame);
      if ((controller.desiredSize ?? 0) < bytes.byteLength) {
        close();
        return false;
      }
      controller.enqueue(bytes);
      return true;
    },
    close,
  };
}

interface Subscriber {
  client: SseClient;
  grants: readonly Grant[];
  /** Ledger events up to this seq were sent (by the replay or live). */
  sentSeq: number;
  /** While the replay runs, live events wait here. */
  pending: ServerEvent[] | null;
}

export interface EventHub {
  /** Hands events (oldest first) to every client allowed to see them. */
  publish(events: readonly ServerEvent[]): void;
  /**
   * Adds a client. With `replay`, ledger events after `afterSeq` are sent first (from `replay`), then live ones,
   * none twice and in seq order.
   */
  subscribe(
    grants: readonly Grant[],
    options: { afterSeq: number | null; replay: (afterSeq: number) => Promise<ServerEvent[]> },
  ): Promise<SseClient>;
  clientCount(): number;
  /** Sends a heartbeat comment to every client. */
  heartbeat(): void;
  closeAll(): void;
}

/** How long a browser waits before it reconnects a dropped stream (the `retry:` line that opens each stream). */
export const SSE_RETRY_MS = 2000;

export function createEventHub(options: { maxQueuedBytes: number }): EventHub {
  const subscribers = new Set<Subscriber>();

  function deliver(s: Subscriber, event: ServerEvent): void {
    if (!isEventVisible(event, s.grants)) return;
    if (event.kind === 'ledger') {
      if (event.event.seq <= s.sentSeq) return;
      s.sentSeq = event.event.seq;
    }
    s.client.send(formatSseEvent(event));
  }

  return {
    publish(events) {
      for (const s of subscribers) {
        if (s.pending) s.pending.push(...events);
        else for (const e of events) deliver(s, e);
      }
    },
    async subscribe(grants, { afterSeq, replay }) {
      let subscriber: Subscriber | null = null;
      const client = createSseClient(options.maxQueuedBytes, () => {
        if (subscriber) subscribers.delete(subscriber);
      });
      client.send(formatSseRetry(SSE_RETRY_MS));
      subscriber = { client, grants, sentSeq: afterSeq ?? 0, pending: afterSeq === null ? null : [] };
      subscribers.add(subscriber);
      if (afterSeq !== null) {
        try {
          for (const e of await replay(afterSeq)) deliver(subscriber, e);
        } finally {
          const waiting = subscriber.pending ?? [];
          subscriber.pending = null;
          for (const e of waiting) deliver(subscriber, e);
        }
      }
      return client;
    },
    clientCount: () => subscribers.size,
    heartbeat() {
      for (const s of subscribers) s.client.send(formatSseComment('heartbeat'));
    },
    closeAll() {
      for (const s of [...subscribers]) s.client.close();
    },
  };
}
