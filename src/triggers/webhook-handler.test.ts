import fs from 'node:fs';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isoAt } from '../core/clock.js';
import { Secret } from '../core/secret.js';
import { openMemoryStore, openSqliteStore, type Store } from '../store/index.js';
import { MAX_QUOTED_CHARS } from './quote-untrusted.js';
import { REFUSAL_BUDGET } from './refusal-budget.js';
import { serveWebhook } from './serve-webhook.js';
import { signWebhookBody } from './verify-signature.js';
import { createWebhookHandler, type PushEvent, type WebhookRequest } from './webhook-handler.js';

const KEY = 'k3y-for-tests';
const NOW_MS = Date.UTC(2026, 0, 2, 3, 4, 5);
const AFTER = 'a'.repeat(40);

let store: Store | undefined;
afterEach(async () => store?.close());

async function setUp() {
  store = await openMemoryStore();
  const pushes: PushEvent[] = [];
  const handle = createWebhookHandler({
    app: 'shop',
    branch: 'main',
    secret: new Secret('WEBHOOK_SECRET', KEY),
    maxBodyBytes: 4096,
    replayToleranceMs: 600_000,
    store,
    clock: { nowMs: () => NOW_MS },
    onPush: (p) => pushes.push(p),
  });
  const kinds = async () =>
    (await store!.listEvents({ app: 'shop', limit: 50 })).map((e) => e.kind).reverse();
  return { handle, pushes, kinds };
}

function push(body: object | string, headers: Record<string, string> = {}, key = KEY): WebhookRequest {
  const raw = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return {
    method: 'POST',
    headers: {
      'x-github-event': 'push',
      'x-github-delivery': 'd-1',
      'x-hub-signature-256': signWebhookBody(key, raw),
      ...headers,
    },
    body: raw,
    remoteAddress: '127.0.0.1',
  };
}

const payload = (over: object = {}) => ({
  ref: 'refs/heads/main',
  after: AFTER,
  pusher: { name: 'dev' },
  repository: { pushed_at: NOW_MS / 1000 - 5 },
  ...over,
});

describe('webhook handler', () => {
  it('accepts a signed push of the branch once, and ignores the same delivery again', async () => {
    const { handle, pushes, kinds } = await setUp();
    expect(await handle(push(payload()))).toEqual({
      status: 202,
      body: { status: 'accepted', commit: AFTER },
    });
    expect((await handle(push(payload()))).body).toEqual({
      status: 'replay',
      reason: 'delivery seen before',
    });
    expect(pushes).toEqual([{ deliveryId: 'd-1', ref: 'refs/heads/main', after: AFTER, pusher: 'dev' }]);
    expect(await kinds()).toEqual(['webhook.received', 'webhook.replayed']);
  });

  it('refuses unsigned and wrongly signed requests with 401 before reading them', async () => {
    const { handle, pushes, kinds } = await setUp();
    const unsigned = push('not even json');
    delete (unsigned.headers as Record<string, string | undefined>)['x-hub-signature-256'];
    expect((await handle(unsigned)).status).toBe(401);
    expect((await handle(push('not even json', {}, 'other-key'))).status).toBe(401);
    expect(pushes).toEqual([]);
    expect(await kinds()).toEqual(['webhook.refused', 'webhook.refused']);
  });

  it.each([
    [
      'a push older than the tolerance',
      push(payload({ repository: { pushed_at: NOW_MS / 1000 - 3600 } })),
      200,
      'replay',
    ],
    ['another branch', push(payload({ ref: 'refs/heads/dev' })), 202, 'ignored'],
    ['a branch deletion', push(payload({ after: '0'.repeat(40) })), 202, 'ignored'],
    ['another event', push(payload(), { 'x-github-event': 'issues' }), 202, 'ignored'],
    ['a ping', push({ zen: 'hi' }, { 'x-github-event': 'ping' }), 200, 'pong'],
  ])('%s does not build', async (_name, request, status, outcome) => {
    const { handle, pushes } = await setUp();
    const response = await handle(request);
    expect(response.status).toBe(status);
    expect(response.body.status).toBe(outcome);
    expect(pushes).toEqual([]);
  });

  it.each([
    ['a body that is not JSON', push('{"ref":'), 400],
    ['a push without after', push({ ref: 'refs/heads/main' }), 400],
    ['no delivery id', push(payload(), { 'x-github-delivery': '' }), 400],
    ['a pushed_at no date can hold', push(payload({ repository: { pushed_at: 1e300 } })), 400],
    ['a pushed_at far before 1970', push(payload({ repository: { pushed_at: -1e300 } })), 400],
    ['a GET', { ...push(payload()), method: 'GET' }, 405],
    ['a body over the limit', push({ pad: 'x'.repeat(5000) }), 413],
  ])('%s is answered %i', async (_name, request, status) => {
    const { handle, pushes } = await setUp();
    expect((await handle(request)).status).toBe(status);
    expect(pushes).toEqual([]);
  });
});

describe('webhook handler behind a real listener', () => {
  const dirs: string[] = [];
  const closers: (() => Promise<void>)[] = [];
  // What the listener would print as "webhook error" (a 500): none is expected.
  const listenerErrors: unknown[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    expect(listenerErrors.splice(0)).toEqual([]);
  });

  /** A receiver on a loopback port, with its store in a SQLite file and a clock the test moves. */
  async function startReceiver() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-webhook-'));
    dirs.push(dir);
    const fileStore = await openSqliteStore(path.join(dir, 'store.db'));
    closers.push(() => fileStore.close());
    const clock = { now: NOW_MS };
    const pushes: PushEvent[] = [];
    const handler = createWebhookHandler({
      app: 'shop',
      branch: 'main',
      secret: new Secret('WEBHOOK_SECRET', KEY),
      maxBodyBytes: 4096,
      replayToleranceMs: 600_000,
      store: fileStore,
      clock: { nowMs: () => clock.now },
      onPush: (p) => pushes.push(p),
    });
    const listener = await serveWebhook(handler, {
      port: 0,
      bindAddress: '127.0.0.1',
      maxBodyBytes: 4096,
      onError: (err) => listenerErrors.push(err),
    });
    closers.push(() => listener.close());
    const send = (request: WebhookRequest): Promise<{ status: number; body: Record<string, unknown> }> =>
      new Promise((resolve, reject) => {
        const headers = Object.fromEntries(
          Object.entries(request.headers).filter((e): e is [string, string] => e[1] !== undefined),
        );
        const req = httpRequest(listener.url, { method: request.method, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
            }),
          );
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(request.body);
      });
    const events = async () => (await fileStore.listEvents({ app: 'shop', limit: 1000 })).reverse();
    return { handler, send, events, pushes, clock };
  }

  const unsigned = (deliveryId: string): WebhookRequest => {
    const request = push('{"attacker": true}', { 'x-github-delivery': deliveryId });
    delete (request.headers as Record<string, string | undefined>)['x-hub-signature-256'];
    return request;
  };

  it('writes a row for the first refusals of a minute only, and one row counting the rest', async () => {
    const { send, events, clock } = await startReceiver();
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        send(
          i % 2 === 0
            ? unsigned(`flood-${i}`)
            : push('{"attacker": true}', { 'x-github-delivery': `flood-${i}` }, 'guess'),
        ),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(60).fill(401));
    expect((await events()).filter((e) => e.kind === 'webhook.refused')).toHaveLength(
      REFUSAL_BUDGET.rowsPerWindow,
    );

    clock.now += REFUSAL_BUDGET.windowMs;
    expect((await send(unsigned('after-the-flood'))).status).toBe(401);

    const refused = (await events()).filter((e) => e.kind === 'webhook.refused');
    expect(refused.map((e) => e.message).slice(REFUSAL_BUDGET.rowsPerWindow)).toEqual([
      `50 more refused webhook deliveries from 127.0.0.1 between ${isoAt(NOW_MS)} and ` +
        `${isoAt(NOW_MS + REFUSAL_BUDGET.windowMs)} (not signed: 25, bad signature: 25); at most 10 per 1m ` +
        'are written one by one',
      'webhook delivery after-the-flood from 127.0.0.1 refused: not signed',
    ]);
    expect(refused[REFUSAL_BUDGET.rowsPerWindow]?.data).toMatchObject({
      count: 50,
      byReason: { unsigned: 25, mismatch: 25 },
      remoteAddresses: ['127.0.0.1'],
    });
  });

  it('writes the count when the window closes without another refusal, and the rest when it stops', async () => {
    const { handler, send, events, clock } = await startReceiver();
    for (let i = 0; i < REFUSAL_BUDGET.rowsPerWindow + 3; i++) await send(unsigned(`d-${i}`));
    await handler.flushRefusalCounts();
    const counts = async () =>
      (await events())
        .map((e) => (e.data as { count?: number } | undefined)?.count)
        .filter((count) => count !== undefined);
    expect(await counts()).toEqual([]);

    clock.now += REFUSAL_BUDGET.windowMs;
    await handler.flushRefusalCounts();
    expect(await counts()).toEqual([3]);

    for (let i = 0; i < REFUSAL_BUDGET.rowsPerWindow + 2; i++) await send(unsigned(`e-${i}`));
    await handler.flushRefusalCounts({ force: true });
    expect(await counts()).toEqual([3, 2]);
  });

  it('quotes an attacker-chosen delivery id short and without control characters', async () => {
    const { send, events } = await startReceiver();
    // Node's parser takes header bytes 0x80-0xff as latin1: 0x9b is the C1 control CSI, a terminal escape.
    const hostile = `\u009b31m${'x'.repeat(10_000)}`;
    expect((await send(unsigned(hostile))).status).toBe(401);

    const [row] = await events();
    const quoted = `31m${'x'.repeat(MAX_QUOTED_CHARS - 4)}…`;
    expect(row?.message).toBe(`webhook delivery ${quoted} from 127.0.0.1 refused: not signed`);
    expect(row?.data).toMatchObject({ deliveryId: quoted });
  });

  it('refuses a signed delivery whose id could not be quoted as it is, saying why', async () => {
    const { send, pushes } = await startReceiver();
    for (const id of ['d'.repeat(MAX_QUOTED_CHARS + 1), 'd-\u009b1']) {
      expect(await send(push(payload(), { 'x-github-delivery': id }))).toEqual({
        status: 400,
        body: { error: `X-GitHub-Delivery must be at most ${MAX_QUOTED_CHARS} printable characters` },
      });
    }
    expect(pushes).toEqual([]);
  });

  it('refuses a captured signed body sent again under a new delivery id', async () => {
    const { send, events, pushes } = await startReceiver();
    expect((await send(push(payload(), { 'x-github-delivery': 'd-1' }))).status).toBe(202);

    expect(await send(push(payload(), { 'x-github-delivery': 'd-2' }))).toEqual({
      status: 200,
      body: { status: 'replay', reason: 'delivery seen before' },
    });
    expect(pushes.map((p) => p.deliveryId)).toEqual(['d-1']);
    const replayed = (await events()).filter((e) => e.kind === 'webhook.replayed');
    expect(replayed.map((e) => e.message)).toEqual([
      `webhook delivery d-2 from 127.0.0.1 ignored: its body was delivered before, as d-1 at ${isoAt(NOW_MS)}`,
    ]);
    expect(replayed[0]?.data).toMatchObject({
      reason: 'same-body',
      deliveryId: 'd-2',
      firstDeliveryId: 'd-1',
    });
  });

  it('refuses a captured body without pushed_at under a new id, however much later', async () => {
    const { send, pushes, clock } = await startReceiver();
    const undated = payload({ repository: { full_name: 'example/shop' } });
    expect((await send(push(undated, { 'x-github-delivery': 'd-1' }))).status).toBe(202);
    // A newer push (with pushed_at) makes the receiver forget what is old enough to be refused by age.
    clock.now += 365 * 24 * 3600_000;
    const dated = payload({ after: 'b'.repeat(40), repository: { pushed_at: clock.now / 1000 } });
    expect((await send(push(dated, { 'x-github-delivery': 'd-2' }))).status).toBe(202);

    expect((await send(push(undated, { 'x-github-delivery': 'd-3' }))).body.status).toBe('replay');
    expect(pushes.map((p) => p.deliveryId)).toEqual(['d-1', 'd-2']);
  });

  it('counts a flood of replays of one captured body rather than writing a row for each', async () => {
    const { send, events, pushes, clock } = await startReceiver();
    await send(push(payload(), { 'x-github-delivery': 'd-0' }));
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => send(push(payload(), { 'x-github-delivery': `replay-${i}` }))),
    );
    expect(answers.every((a) => a.body.status === 'replay')).toBe(true);
    clock.now += REFUSAL_BUDGET.windowMs;
    await send(push(payload(), { 'x-github-delivery': 'replay-late' }));

    const replayed = (await events()).filter((e) => e.kind === 'webhook.replayed');
    expect(replayed).toHaveLength(REFUSAL_BUDGET.rowsPerWindow + 2);
    expect(replayed[REFUSAL_BUDGET.rowsPerWindow]?.data).toMatchObject({
      count: 20,
      byReason: { 'same-body': 20 },
    });
    expect(pushes).toHaveLength(1);
  });
});
