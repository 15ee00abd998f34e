import { createHash } from 'node:crypto';
import { isoAt, type Clock } from '../core/clock.js';
import { formatDurationMs } from '../core/duration.js';
import type { Secret } from '../core/secret.js';
import type { LedgerRepository, TriggerRepository } from '../store/index.js';
import { isQuotable, MAX_QUOTED_CHARS, quoteUntrusted } from './quote-untrusted.js';
import {
  deriveClosedWindow,
  deriveRefusalVerdict,
  EMPTY_REFUSAL_BUDGET,
  REFUSAL_BUDGET,
  type RefusalBudgetLimits,
  type RefusalBudgetState,
  type RefusalSummary,
} from './refusal-budget.js';
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
  store: Pick<LedgerRepository, 'appendEvent'> &
    Pick<TriggerRepository, 'claimWebhookDelivery' | 'forgetWebhookDeliveries'>;
  clock: Clock;
  /** How many refusals get a ledger row of their own (default REFUSAL_BUDGET); the rest are counted. */
  refusalBudget?: RefusalBudgetLimits;
  /** Called for each accepted push; must not wait for the build (the sender expects an answer within seconds). */
  onPush(push: PushEvent): void;
}

export interface WebhookHandler {
  (request: WebhookRequest): Promise<WebhookResponse>;
  /**
   * Writes the counts of refusals whose window has closed (with `force`, every count, closing the windows):
   * call it now and then, and with `force` when the receiver stops, so that no count waits for the next refusal.
   */
  flushRefusalCounts(options?: { force?: boolean }): Promise<void>;
}

type RefusalKind = 'webhook.refused' | 'webhook.replayed';

const REFUSAL_NOUNS: Record<RefusalKind, string> = {
  'webhook.refused': 'refused',
  'webhook.replayed': 'replayed',
};

type RefusalReason = 'unsigned' | 'malformed' | 'mismatch' | 'seen-before' | 'same-body' | 'too-old';

const REASON_LABELS: Record<RefusalReason, string> = {
  unsigned: 'not signed',
  malformed: 'malformed signature',
  mismatch: 'bad signature',
  'seen-before': 'seen before',
  'same-body': 'body seen before',
  'too-old': 'too old',
};

const NULL_SHA = /^0+$/;

/**
 * GitHub-style push webhooks: signature first (nothing unsigned is parsed), then replay detection (a push
 * older than the tolerance, or a delivery id or body seen before), then the branch. Refusals and replays are
 * written to the ledger within a budget per window (a flood is counted, not written row by row); an accepted
 * push is answered 202 at once and built in the background.
 */
export function createWebhookHandler(deps: WebhookDeps): WebhookHandler {
  const limits = deps.refusalBudget ?? REFUSAL_BUDGET;
  const budgets: Record<RefusalKind, RefusalBudgetState> = {
    'webhook.refused': EMPTY_REFUSAL_BUDGET,
    'webhook.replayed': EMPTY_REFUSAL_BUDGET,
  };

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
  const recordSummary = (kind: RefusalKind, summary: RefusalSummary): Promise<void> =>
    record(kind, describeRefusalSummary(REFUSAL_NOUNS[kind], summary, limits), { ...summary });

  /** The budget is taken before any await, so concurrent requests of a flood all see it spent. */
  const refuse = async (
    kind: RefusalKind,
    refusal: { reason: RefusalReason; remoteAddress: string },
    describe: () => { message: string; data: Record<string, unknown> },
  ): Promise<void> => {
    const verdict = deriveRefusalVerdict(budgets[kind], { ...refusal, atMs: deps.clock.nowMs() }, limits);
    budgets[kind] = verdict.state;
    if (verdict.summary) await recordSummary(kind, verdict.summary);
    if (!verdict.write) return;
    const { message, data } = describe();
    await record(kind, message, { reason: refusal.reason, remoteAddress: refusal.remoteAddress, ...data });
  };

  const handle = async (request: WebhookRequest): Promise<WebhookResponse> => {
    if (request.method !== 'POST') return { status: 405, body: { error: 'only POST is accepted' } };
    if (request.body.length > deps.maxBodyBytes) return { status: 413, body: { error: 'body too large' } };
    const rawDeliveryId = request.headers['x-github-delivery'] ?? null;
    const quotedId = rawDeliveryId === null ? null : quoteUntrusted(rawDeliveryId);
    const from = quoteUntrusted(request.remoteAddress ?? 'unknown');

    const signature = verifyWebhookSignature(
      deps.secret.reveal(),
      request.body,
      request.headers['x-hub-signature-256'],
    );
    if (!signature.ok) {
      await refuse('webhook.refused', { reason: signature.reason, remoteAddress: from }, () => ({
        message: `webhook delivery ${quotedId ?? '(no id)'} from ${from} refused: ${REASON_LABELS[signature.reason]}`,
        data: { deliveryId: quotedId },
      }));
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
    if (!rawDeliveryId) return { status: 400, body: { error: 'X-GitHub-Delivery is missing' } };
    // The id is not signed: one that could not be quoted as it is would be remembered under another name.
    if (!isQuotable(rawDeliveryId)) {
      return {
        status: 400,
        body: { error: `X-GitHub-Delivery must be at most ${MAX_QUOTED_CHARS} printable characters` },
      };
    }
    const deliveryId = rawDeliveryId;
    if (event !== 'push') {
      return { status: 202, body: { status: 'ignored', reason: `event ${quoteUntrusted(event)}` } };
    }
    const push = parsePush(payload);
    if (push.kind === 'invalid') return { status: 400, body: { error: push.error } };

    const nowMs = deps.clock.nowMs();
    if (push.pushedAtMs !== null && nowMs - push.pushedAtMs > deps.replayToleranceMs) {
      const pushedAtMs = push.pushedAtMs;
      await refuse('webhook.replayed', { reason: 'too-old', remoteAddress: from }, () => ({
        message: `webhook delivery ${deliveryId} from ${from} ignored: pushed at ${isoAt(pushedAtMs)}, older than the tolerance`,
        data: { deliveryId, pushedAtMs },
      }));
      return { status: 200, body: { status: 'replay', reason: 'delivery too old' } };
    }
    const claim = await deps.store.claimWebhookDelivery({
      app: deps.app,
      deliveryId,
      bodySha256: createHash('sha256').update(request.body).digest('hex'),
      pushedAtMs: push.pushedAtMs,
      receivedAtMs: nowMs,
    });
    if (claim.kind === 'seen') {
      const first = claim.first !== null && claim.first.deliveryId !== deliveryId ? claim.first : null;
      await refuse(
        'webhook.replayed',
        { reason: first ? 'same-body' : 'seen-before', remoteAddress: from },
        () =>
          first
            ? {
                message: `webhook delivery ${deliveryId} from ${from} ignored: its body was delivered before, as ${quoteUntrusted(first.deliveryId)} at ${isoAt(first.receivedAtMs)}`,
                data: { deliveryId, firstDeliveryId: quoteUntrusted(first.deliveryId) },
              }
            : {
                message: `webhook delivery ${deliveryId} from ${from} ignored: seen before`,
                data: { deliveryId },
              },
      );
      return { status: 200, body: { status: 'replay', reason: 'delivery seen before' } };
    }
    // Deliveries pushed before the tolerance are refused by their age from now on; their rows can go.
    await deps.store.forgetWebhookDeliveries(deps.app, nowMs - deps.replayToleranceMs);

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

  const flushRefusalCounts = async (options: { force?: boolean } = {}): Promise<void> => {
    for (const kind of Object.keys(budgets) as RefusalKind[]) {
      const closed = deriveClosedWindow(budgets[kind], deps.clock.nowMs(), limits, options);
      budgets[kind] = closed.state;
      if (closed.summary) await recordSummary(kind, closed.summary);
    }
  };

  return Object.assign(handle, { flushRefusalCounts });
}

/** e.g. "412 more refused webhook deliveries from 10.0.0.7 between … and … (not signed: 400, bad signature: 12) …" */
export function describeRefusalSummary(
  noun: string,
  summary: RefusalSummary,
  limits: RefusalBudgetLimits,
): string {
  const reasons = Object.entries(summary.byReason)
    .map(([reason, count]) => `${labelOf(reason)}: ${count}`)
    .join(', ');
  const addresses = `${summary.remoteAddresses.join(', ')}${summary.moreRemoteAddresses ? ' and others' : ''}`;
  return (
    `${summary.count} more ${noun} webhook deliveries from ${addresses} between ${isoAt(summary.fromMs)} ` +
    `and ${isoAt(summary.toMs)} (${reasons}); at most ${limits.rowsPerWindow} per ` +
    `${formatDurationMs(limits.windowMs)} are written one by one`
  );
}

function labelOf(reason: string): string {
  return reason in REASON_LABELS ? REASON_LABELS[reason as RefusalReason] : reason;
}

interface ParsedPush {
  kind: 'push';
  ref: string;
  after: string;
  pusher: string | null;
  pushedAtMs: number | null;
}

/** The furthest from 1970 a JavaScript date (and so the ledger's times) can be, in seconds. */
const MAX_EPOCH_SECONDS = 8.64e12;

/** The few fields of a GitHub push payload we use; `repository.pushed_at` is epoch seconds and signed. */
function parsePush(payload: unknown): ParsedPush | { kind: 'invalid'; error: string } {
  const invalid = { kind: 'invalid' as const, error: 'not a push event (ref and after are required)' };
  if (typeof payload !== 'object' || payload === null) return invalid;
  const p = payload as {
    ref?: unknown;
    after?: unknown;
    pusher?: { name?: unknown };
    repository?: { pushed_at?: unknown };
  };
  if (typeof p.ref !== 'string' || typeof p.after !== 'string' || !/^[0-9a-f]{7,64}$/i.test(p.after))
    return invalid;
  const pushedAt = p.repository?.pushed_at;
  // Other senders put a date string here, or nothing: such a push has no time of its own.
  if (typeof pushedAt === 'number' && !(Math.abs(pushedAt) <= MAX_EPOCH_SECONDS)) {
    return { kind: 'invalid', error: `repository.pushed_at ${pushedAt} is not a time (seconds since 1970)` };
  }
  return {
    kind: 'push',
    ref: p.ref,
    after: p.after,
    pusher: typeof p.pusher?.name === 'string' ? p.pusher.name : null,
    pushedAtMs: typeof pushedAt === 'number' ? Math.round(pushedAt * 1000) : null,
  };
}
