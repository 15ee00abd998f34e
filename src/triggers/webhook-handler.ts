import type { Clock } from '../core/clock.js';
import type { Secret } from '../core/secret.js';
import type { LedgerRepository, TriggerRepository } from '../store/index.js';
import { verifyWebhookSignature } from './verify-signature.js';

/** A request as any HTTP listener sees it; the handler does not care which listener (standalone or server). */
export interface WebhookRequest {
  method: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  remoteAddress?: string;
}

export interface WebhookResponse {
  status: number;
  body: Record<string, unknown>;
}

/** A signed push of the watched branch. */
export interface PushEvent {
  deliveryId: string;
  ref: string;
  after: string;
  pusher: string | null;
}

export interface WebhookDeps {
  app: string;
  branch: string;
  secret: Secret;
  maxBodyBytes: number;
  replayToleranceMs: number;
  store: Pick<LedgerRepository, 'appendEvent'> & Pick<TriggerRepository, 'claimWebhookDelivery'>;
  clock: Clock;
  /** Called for each accepted push; must not wait for the build (the sender expects an answer within seconds). */
  onPush(push: PushEvent): void;
}

const NULL_SHA = /^0+$/;

/**
 * GitHub-style push webhooks: signature first (nothing unsigned is parsed), then replay detection (a delivery
 * id seen before, or a push older than the tolerance), then the branch. Refusals and replays are written to
 * the ledger; an accepted push is answered 202 at once and built in the background.
 */
export function createWebhookHandler(
  deps: WebhookDeps,
): (request: WebhookRequest) => Promise<WebhookResponse> {
  const record = async (kind: string, message: string, data: Record<string, unknown>): Promise<void> => {
    await deps.store.appendEvent({
      atMs: deps.clock.nowMs(),
      actor: 'webhook',
      app: deps.app,
      environment: null,
      kind,
      message,
      data,
    });
  };

  return async (request) => {
    if (request.method !== 'POST') return { status: 405, body: { error: 'only POST is accepted' } };
    if (request.body.length > deps.maxBodyBytes) return { status: 413, body: { error: 'body too large' } };
    const deliveryId = request.headers['x-github-delivery'] ?? null;
    const from = request.remoteAddress ?? 'unknown';

    const signature = verifyWebhookSignature(
      deps.secret.reveal(),
      request.body,
      request.headers['x-hub-signature-256'],
    );
    if (!signature.ok) {
      await record(
        'webhook.refused',
        `webhook delivery ${deliveryId ?? '(no id)'} from ${from} refused: ${signature.reason === 'unsigned' ? 'not signed' : 'bad signature'}`,
        { reason: signature.reason, deliveryId, remoteAddress: from },
      );
      return { status: 401, body: { error: 'invalid signature' } };
    }

    let payload: unknown;
    try {
      payload = JSON.parse(request.body.toString('utf8'));
    } catch {
      return { status: 400, body: { error: 'the body is not JSON' } };
    }
    const event = request.headers['x-github-event'] ?? 'push';
    if (event === 'ping') return { status: 200, body: { status: 'pong' } };
    if (!deliveryId) return { status: 400, body: { error: 'X-GitHub-Delivery is missing' } };
    if (event !== 'push') return { status: 202, body: { status: 'ignored', reason: `event ${event}` } };
    const push = parsePush(payload);
    if (!push) return { status: 400, body: { error: 'not a push event (ref and after are required)' } };

    if (!(await deps.store.claimWebhookDelivery(deps.app, deliveryId, deps.clock.nowMs()))) {
      await record('webhook.replayed', `webhook delivery ${deliveryId} from ${from} ignored: seen before`, {
        reason: 'seen-before',
        deliveryId,
        remoteAddress: from,
      });
      return { status: 200, body: { status: 'replay', reason: 'delivery seen before' } };
    }
    if (push.pushedAtMs !== null && deps.clock.nowMs() - push.pushedAtMs > deps.replayToleranceMs) {
      await record(
        'webhook.replayed',
        `webhook delivery ${deliveryId} from ${from} ignored: pushed at ${new Date(push.pushedAtMs).toISOString()}, older than the tolerance`,
        { reason: 'too-old', deliveryId, remoteAddress: from, pushedAtMs: push.pushedAtMs },
      );
      return { status: 200, body: { status: 'replay', reason: 'delivery too old' } };
    }
    if (push.ref !== `refs/heads/${deps.branch}` || NULL_SHA.test(push.after)) {
      return { status: 202, body: { status: 'ignored', reason: `not a new commit on ${deps.branch}` } };
    }
    await record(
      'webhook.received',
      `push of ${push.after.slice(0, 12)} to ${deps.branch} (delivery ${deliveryId})`,
      {
        deliveryId,
        ref: push.ref,
        after: push.after,
        pusher: push.pusher,
        remoteAddress: from,
      },
    );
    deps.onPush({ deliveryId, ref: push.ref, after: push.after, pusher: push.pusher });
    return { status: 202, body: { status: 'accepted', commit: push.after } };
  };
}

interface ParsedPush {
  ref: string;
  after: string;
  pusher: string | null;
  pushedAtMs: number | null;
}

/** The few fields of a GitHub push payload we use; `repository.pushed_at` is epoch seconds and signed. */
function parsePush(payload: unknown): ParsedPush | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const p = payload as {
    ref?: unknown;
    after?: unknown;
    pusher?: { name?: unknown };
    repository?: { pushed_at?: unknown };
  };
  if (typeof p.ref !== 'string' || typeof p.after !== 'string' || !/^[0-9a-f]{7,64}$/i.test(p.after))
    return null;
  const pushedAt = p.repository?.pushed_at;
  return {
    ref: p.ref,
    after: p.after,
    pusher: typeof p.pusher?.name === 'string' ? p.pusher.name : null,
    pushedAtMs: typeof pushedAt === 'number' && Number.isFinite(pushedAt) ? pushedAt * 1000 : null,
  };
}
