/** One Server-Sent Event as the HTML standard dispatches it. */
export interface SseMessage {
  /** The `event:` field, `message` when none was sent. */
  event: string;
  /** The `data:` lines joined by newlines. */
  data: string;
  /** The last event id seen on the stream so far (ids persist across events, as in the standard). */
  id: string | null;
}

export interface SseParser {
  /** Feeds the next chunk of text (any split: mid-line, mid-CRLF); returns the events it completed. */
  push(chunk: string): SseMessage[];
  /** The id a reconnect sends as Last-Event-ID. */
  lastEventId(): string | null;
  /** The reconnection time the server asked for (`retry:`), in milliseconds; null when it sent none. */
  retryMs(): number | null;
}

/**
 * A pure parser of the `text/event-stream` format (https://html.spec.whatwg.org/#event-stream-interpretation):
 * lines end with LF, CR or CRLF; `:` starts a comment (the server's keep-alive); an empty line dispatches; `retry:` sets the reconnection time; a
 * field's value loses one leading space; an event without data is not dispatched; an id containing NUL is ignored.
 * Chunks from the network split anywhere, so a trailing partial line (and a CR that may be half of a CRLF) waits
 * for the next chunk.
 */
export function createSseParser(initialLastEventId: string | null = null): SseParser {
  let buffer = '';
  let first = true;
  let lastCr = false;
  let eventType = '';
  let data: string[] = [];
  let lastId = initialLastEventId;
  let retry: number | null = null;

  const processLine = (line: string, out: SseMessage[]): void => {
    if (line === '') {
      if (data.length > 0) out.push({ event: eventType || 'message', data: data.join('\n'), id: lastId });
      eventType = '';
      data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        eventType = value;
        return;
      case 'data':
        data.push(value);
        return;
      case 'id':
        if (!value.includes('\0')) lastId = value;
        return;
      case 'retry':
        if (/^\d+$/.test(value)) retry = Number(value);
        return;
      default:
        return;
    }
  };

  return {
    push(chunk) {
      let text = chunk;
      if (first && text.length > 0) {
        first = false;
        if (text.startsWith('\uFEFF')) text = text.slice(1);
      }
      // A CR ended the previous chunk: an LF starting this one belongs to that line break.
      if (lastCr && text.startsWith('\n')) text = text.slice(1);
      lastCr = false;
      buffer += text;
      const out: SseMessage[] = [];
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c !== '\n' && c !== '\r') continue;
        processLine(buffer.slice(start, i), out);
        if (c === '\r') {
          if (i + 1 === buffer.length) lastCr = true;
          else if (buffer[i + 1] === '\n') i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
      return out;
    },
    lastEventId: () => lastId,
    retryMs: () => retry,
  };
}
