/** What `slipway history` shows of a ledger event (local or from a server). */
export interface HistoryLineEvent {
  atMs: number;
  kind: string;
  environment: string | null;
  message: string;
  actor: string;
}

const KIND_WIDTH = 18;
const ENVIRONMENT_WIDTH = 12;

/**
 * One event as one block: time, kind, environment, the message's first line and who did it on the first line;
 * the message's further lines (a stderr tail, a hint) under the message's first line, so that the next event
 * starts where the eye expects it and the actor stays beside the event. Pure; `dim` colours the quiet parts.
 */
export function formatHistoryEvent(event: HistoryLineEvent, dim: (text: string) => string = plain): string {
  const time = new Date(event.atMs).toISOString();
  const head = `${time} ${event.kind.padEnd(KIND_WIDTH)} ${(event.environment ?? '-').padEnd(ENVIRONMENT_WIDTH)} `;
  const [first = '', ...rest] = event.message.replace(/\s+$/, '').split('\n');
  const indent = ' '.repeat(head.length);
  return [
    `${dim(time)}${head.slice(time.length)}${first} ${dim(`by ${event.actor}`)}`,
    ...rest.map((line) => (line === '' ? '' : `${indent}${line}`)),
  ]
    .map((line) => `${line}\n`)
    .join('');
}

function plain(text: string): string {
  return text;
}
