import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { notificationsSchema } from '../config/notify-schema.js';
import { openMemoryStore, type NewLedgerEvent, type Store } from '../store/index.js';
import { Notifier } from './notifier.js';
import { withNotifications } from './with-notifications.js';

// The notifier against a real HTTP receiver on port 0 that answers with a scripted list of statuses.

interface Receiver {
  url: string;
  hits: Array<{ path: string; event: string }>;
  close(): Promise<void>;
}

async function startReceiver(statuses: number[]): Promise<Receiver> {
  const hits: Receiver['hits'] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', event: String((JSON.parse(text) as { event?: string }).event) });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setUp(channels: unknown[], secrets: Record<string, string> = {}) {
  const inner: Store = await openMemoryStore();
  cleanups.push(() => inner.close());
  const notifier = new Notifier({
    config: notificationsSchema.parse({ channels, timeout: '2s', retries: 2 }),
    app: 'shop',
    ledger: inner,
    clock: { nowMs: () => 1_700_000_000_000 },
    actor: 'tester',
    resolveSecret: (_env, name) => Promise.resolve(secrets[name]),
    initialBackoffMs: 10,
  });
  const store = withNotifications(inner, notifier);
  const append = (kind: string, deploymentId = 'd1'): Promise<number> =>
    store.appendEvent({
      atMs: 1_700_000_000_000,
      actor: 'tester',
      app: 'shop',
      environment: 'production',
      kind,
      deploymentId,
      release: '1.0.0',
      message: `${kind} happened`,
    } satisfies NewLedgerEvent);
  const failures = async () =>
    (await inner.listEvents({ app: 'shop', kinds: ['notification.failed'], limit: 10 })).map(
      (e) => e.message,
    );
  return { notifier, append, failures };
}

describe('Notifier', () => {
  it('delivers in ledger order per channel and retries a 5xx until it succeeds', async () => {
    const receiver = await startReceiver([503, 200]);
    cleanups.push(() => receiver.close());
    const { notifier, append, failures } = await setUp([{ name: 'a', url: `${receiver.url}/a` }]);
    await append('deploy.started');
    await append('traffic.switched');
    await append('deploy.succeeded');
    await notifier.flush();
    expect(receiver.hits.map((h) => h.event)).toEqual(['started', 'started', 'succeeded']);
    expect(await failures()).toEqual([]);
  });

  it('records a 4xx at once, without retrying', async () => {
    const receiver = await startReceiver([404]);
    cleanups.push(() => receiver.close());
    const url = `${receiver.url}/token-abc123`;
    const { notifier, append, failures } = await setUp([{ name: 'hook', urlSecret: 'HOOK_URL' }], {
      HOOK_URL: url,
    });
    await append('deploy.failed');
    await notifier.flush();
    expect(receiver.hits).toHaveLength(1);
    const [failure] = await failures();
    expect(failure).toBe('notification "failed" to channel hook failed after 1 attempt(s): HTTP 404');
  });

  it('records a channel whose URL secret has no value', async () => {
    const { notifier, append, failures } = await setUp([{ name: 'hook', urlSecret: 'MISSING_URL' }]);
    await append('deploy.started');
    await notifier.flush();
    expect(await failures()).toEqual(['notification channel hook: secret MISSING_URL has no value']);
  });

  it('gives up on a receiver that does not answer after its retries', async () => {
    const receiver = await startReceiver([500, 500, 500, 500]);
    cleanups.push(() => receiver.close());
    const { notifier, append, failures } = await setUp([{ name: 'flaky', url: receiver.url }]);
    await append('deploy.rolled-back');
    await notifier.flush();
    expect(receiver.hits).toHaveLength(3);
    expect(await failures()).toEqual([
      'notification "rolled-back" to channel flaky failed after 3 attempt(s): HTTP 500',
    ]);
  });
});
