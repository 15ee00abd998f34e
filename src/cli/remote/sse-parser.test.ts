import { describe, expect, it } from 'vitest';
import { createSseParser, type SseMessage } from './sse-parser.js';

/** Feeds the text in the given pieces and collects every event. */
function parseInPieces(pieces: string[]): SseMessage[] {
  const parser = createSseParser();
  return pieces.flatMap((p) => parser.push(p));
}

/** Every way of cutting `text` in two, plus one character at a time. */
function allSplits(text: string): string[][] {
  const splits: string[][] = [[text], [...text]];
  for (let i = 1; i < text.length; i++) splits.push([text.slice(0, i), text.slice(i)]);
  return splits;
}

const STREAM =
  ': keep-alive\n\n' +
  'event: step\ndata: {"kind":"step","index":1}\n\n' +
  'id: 42\r\nevent: ledger\r\ndata: {"a":1}\r\n\r\n' +
  'data: line one\rdata: line two\r\r' +
  'event: job\ndata:{"x":true}\n\n';

const EXPECTED: SseMessage[] = [
  { event: 'step', data: '{"kind":"step","index":1}', id: null },
  { event: 'ledger', data: '{"a":1}', id: '42' },
  { event: 'message', data: 'line one\nline two', id: '42' },
  { event: 'job', data: '{"x":true}', id: '42' },
];

describe('createSseParser', () => {
  it('gives the same events however the stream is split (mid-line, mid-CRLF, one character at a time)', () => {
    for (const pieces of allSplits(STREAM)) expect(parseInPieces(pieces)).toEqual(EXPECTED);
  });

  it('waits for the blank line before dispatching, and drops an unfinished event at the end', () => {
    const parser = createSseParser();
    expect(parser.push('event: step\ndata: {"a":1}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'step', data: '{"a":1}', id: null }]);
    expect(parser.push('data: never finished\n')).toEqual([]);
  });

  it('ignores comments, unknown fields, events without data and ids containing NUL; keeps retry', () => {
    const parser = createSseParser();
    const events = parser.push(
      ':comment\n\nretry: 2000\nfoo: bar\n\nevent: empty\n\nid: 7\n\nid: bad\0id\ndata: x\n\nretry: soon\n\n',
    );
    expect(events).toEqual([{ event: 'message', data: 'x', id: '7' }]);
    expect(parser.retryMs()).toBe(2000);
  });

  it('strips one leading space of a value, a BOM at the start, and keeps a field without a colon as empty', () => {
    const events = parseInPieces(['\uFEFFdata:  two spaces\ndata\n\n']);
    expect(events).toEqual([{ event: 'message', data: ' two spaces\n', id: null }]);
  });

  it('remembers the last id for a reconnect (Last-Event-ID), starting from the one it was given', () => {
    const parser = createSseParser('10');
    expect(parser.lastEventId()).toBe('10');
    parser.push('id: 11\ndata: a\n\nid: 12\n');
    expect(parser.lastEventId()).toBe('12');
  });
});
