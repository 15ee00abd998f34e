import { describe, expect, it } from 'vitest';
import type { ServerEvent } from '../api-types.js';
import { formatSseComment, formatSseEvent, formatSseRetry, parseLastEventId } from './sse-frame.js';

const ledgerEvent: ServerEvent = {
  kind: 'ledger',
  event: {
    seq: 42,
    atMs: 1,
    actor: 'alice',
    app: 'shop',
    environment: 'production',
    kind: 'deploy.started',
    deploymentId: 'd1',
    release: '1.0.0',
    message: 'two\nlines',
    data: undefined,
  },
};

describe('SSE frames', () => {
  it('frames a ledger event with its seq as id and the JSON on one data line', () => {
    const frame = formatSseEvent(ledgerEvent);
    expect(frame).toBe(`id: 42\nevent: ledger\ndata: ${JSON.stringify(ledgerEvent)}\n\n`);
    expect(frame.split('\n').filter((l) => l.startsWith('data: '))).toHaveLength(1);
    expect(JSON.parse(frame.split('\n')[2]?.slice(6) ?? '')).toEqual(ledgerEvent);
  });

  it('gives other events no id, so Last-Event-ID stays a ledger seq', () => {
    const step: ServerEvent = {
      kind: 'step',
      deploymentId: 'd1',
      environment: 'production',
      index: 3,
      status: 'running',
      startedAtMs: 5,
      finishedAtMs: null,
      error: null,
      note: null,
    };
    expect(formatSseEvent(step)).toBe(`event: step\ndata: ${JSON.stringify(step)}\n\n`);
  });

  it('writes comments on one line and the retry hint', () => {
    expect(formatSseComment('heart\nbeat')).toBe(': heart beat\n\n');
    expect(formatSseRetry(2000)).toBe('retry: 2000\n\n');
  });

  it('reads Last-Event-ID as a seq or not at all', () => {
    expect(parseLastEventId('17')).toBe(17);
    expect(parseLastEventId(' 17 ')).toBe(17);
    expect(parseLastEventId(undefined)).toBeNull();
    expect(parseLastEventId('')).toBeNull();
    expect(parseLastEventId('-1')).toBeNull();
    expect(parseLastEventId('abc')).toBeNull();
    expect(parseLastEventId('99999999999999999999')).toBeNull();
  });
});
