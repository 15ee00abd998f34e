import type { ServerEvent } from '../api-types.js';

/**
 * One Server-Sent Events frame: `event:` the kind, `data:` the JSON (one line: JSON.stringify escapes newlines),
 * `id:` the ledger seq where there is one (the browser sends it back as Last-Event-ID when it reconnects).
 */
export function formatSseEvent(event: ServerEvent): string {
  const id = event.kind === 'ledger' ? `id: ${event.event.seq}\n` : '';
  return `${id}event: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** A comment line: ignored by clients, it keeps proxies from closing an idle stream. */
export function formatSseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** A reconnect delay hint for the client, in milliseconds. */
export function formatSseRetry(ms: number): string {
  return `retry: ${Math.round(ms)}\n\n`;
}

/** The Last-Event-ID a reconnecting client sends: a ledger seq, or null when absent or not a seq. */
export function parseLastEventId(header: string | undefined): number | null {
  if (header === undefined || !/^\d+$/.test(header.trim())) return null;
  const seq = Number(header.trim());
  return Number.isSafeInteger(seq) ? seq : null;
}
