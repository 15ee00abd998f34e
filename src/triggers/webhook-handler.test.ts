import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../core/secret.js';
import { openMemoryStore, type Store } from '../store/index.js';
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
    ['a GET', { ...push(payload()), method: 'GET' }, 405],
    ['a body over the limit', push({ pad: 'x'.repeat(5000) }), 413],
  ])('%s is answered %i', async (_name, request, status) => {
    const { handle, pushes } = await setUp();
    expect((await handle(request)).status).toBe(status);
    expect(pushes).toEqual([]);
  });
});
