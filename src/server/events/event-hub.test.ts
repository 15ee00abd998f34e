import { describe, expect, it } from 'vitest';
import type { ServerEvent } from '../api-types.js';
import { parseGrant } from '../auth/roles.js';
import { createEventHub, createSseClient } from './event-hub.js';

const ledger = (seq: number, environment: string | null): ServerEvent => ({
  kind: 'ledger',
  event: {
    seq,
    atMs: seq,
    actor: 'a',
    app: 'shop',
    environment,
    kind: 'deploy.started',
    deploymentId: null,
    release: null,
    message: `event ${seq}`,
    data: undefined,
  },
});

/** Reads what a client's stream holds so far (its queued frames), without waiting for more. */
async function drain(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const next = await Promise.race([reader.read(), new Promise<null>((r) => setImmediate(() => r(null)))]);
    if (next === null || next.done) break;
    text += decoder.decode(next.value);
  }
  reader.releaseLock();
  return text;
}

const ids = (text: string): number[] => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));

const noReplay = { afterSeq: null, replay: () => Promise.resolve([]) };

describe('event hub', () => {
  it('hands each client only the events of environments it may read (and those of none)', async () => {
    const hub = createEventHub({ maxQueuedBytes: 1 << 20 });
    const all = await hub.subscribe([parseGrant('viewer')], noReplay);
    const staging = await hub.subscribe([parseGrant('deployer:staging')], noReplay);

    hub.publish([ledger(1, 'production'), ledger(2, 'staging'), ledger(3, null)]);

    expect(ids(await drain(all.stream))).toEqual([1, 2, 3]);
    expect(ids(await drain(staging.stream))).toEqual([2, 3]);
  });

  it('replays after Last-Event-ID, then live events, none twice and in order', async () => {
    const hub = createEventHub({ maxQueuedBytes: 1 << 20 });
    let release!: () => void;
    const replayed = new Promise<void>((r) => (release = r));
    const subscribing = hub.subscribe([parseGrant('viewer')], {
      afterSeq: 10,
      replay: async () => {
        await replayed;
        return [ledger(11, 'production'), ledger(12, 'production')];
      },
    });
    // Live events arrive while the replay is read from the store: 12 is in both.
    hub.publish([ledger(12, 'production'), ledger(13, 'production')]);
    release();
    const client = await subscribing;
    hub.publish([ledger(13, 'production'), ledger(14, 'production')]);

    expect(ids(await drain(client.stream))).toEqual([11, 12, 13, 14]);
  });

  it('drops a client that does not read once its queue is full, and forgets closed clients', async () => {
    const hub = createEventHub({ maxQueuedBytes: 4096 });
    const slow = await hub.subscribe([parseGrant('viewer')], noReplay);
    const gone = await hub.subscribe([parseGrant('viewer')], noReplay);
    expect(hub.clientCount()).toBe(2);
    await gone.stream.cancel();
    expect(hub.clientCount()).toBe(1);

    for (let seq = 1; seq <= 100 && !slow.closed; seq++) hub.publish([ledger(seq, 'production')]);

    expect(slow.closed).toBe(true);
    expect(hub.clientCount()).toBe(0);
    // What it had queued is still there for the reader, then the stream ends: nothing more is kept.
    const text = await drain(slow.stream);
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(ids(text).length).toBeGreaterThan(0);
  });

  it('bounds one client by bytes, whatever the frame sizes', () => {
    let closed = 0;
    const client = createSseClient(100, () => closed++);
    expect(client.send('x'.repeat(60))).toBe(true);
    expect(client.send('x'.repeat(60))).toBe(false);
    expect(client.closed).toBe(true);
    expect(client.send('x')).toBe(false);
    expect(closed).toBe(1);
  });

  it('sends heartbeats as comments', async () => {
    const hub = createEventHub({ maxQueuedBytes: 1 << 20 });
    const client = await hub.subscribe([parseGrant('viewer')], noReplay);
    hub.heartbeat();
    expect(await drain(client.stream)).toBe('retry: 2000\n\n: heartbeat\n\n');
  });
});
