import { randomBytes } from 'node:crypto';
import { parseDurationMs } from '../../core/duration.js';
import { SlipwayError, UnknownNameError } from '../../core/errors.js';
import type { ApiTokenRecord } from '../../store/index.js';
import { generateApiToken, hashApiToken } from './api-token.js';
import { recordAuthEvent, type AuthContext } from './auth-events.js';
import { formatGrant, type Grant } from './roles.js';

export interface NewApiToken {
  subject: string;
  description: string;
  grants: Grant[];
  /** Null: never expires. */
  expiresInMs: number | null;
}

/** What may be shown of a token record: everything but its hash. */
export type ApiTokenView = Omit<ApiTokenRecord, 'tokenHash'>;

export function toApiTokenView({ tokenHash: _hash, ...view }: ApiTokenRecord): ApiTokenView {
  return view;
}

/** Creates a token; the caller shows `token` once, the store keeps only its hash. */
export async function createApiTokenFor(
  context: AuthContext,
  request: NewApiToken,
): Promise<{ token: string; record: ApiTokenView }> {
  const subject = request.subject.trim();
  if (!subject) throw new SlipwayError('a token needs a subject', { hint: 'e.g. --subject ci' });
  if (request.grants.length === 0) {
    throw new SlipwayError('a token needs at least one role', { hint: 'e.g. --role deployer:staging' });
  }
  // parseTokenExpiry has bounded it already; checked again because an expiry past the last date breaks every
  // listing of the tokens from then on.
  if (
    request.expiresInMs !== null &&
    !(request.expiresInMs > 0 && request.expiresInMs <= MAX_TOKEN_EXPIRY_MS)
  ) {
    throw new TokenExpiryError(
      'expiresInMs',
      String(request.expiresInMs),
      `a token expires after more than 0 ms and at most ${MAX_TOKEN_EXPIRY}`,
    );
  }
  const token = generateApiToken();
  const now = context.clock.nowMs();
  const record: ApiTokenRecord = {
    id: `tok_${randomBytes(6).toString('hex')}`,
    subject,
    description: request.description,
    tokenHash: hashApiToken(token),
    grants: request.grants,
    createdBy: context.actor,
    createdAtMs: now,
    expiresAtMs: request.expiresInMs === null ? null : now + request.expiresInMs,
    lastUsedAtMs: null,
    revokedAtMs: null,
  };
  await context.store.createApiToken(record);
  const roles = record.grants.map(formatGrant);
  await recordAuthEvent(
    context,
    'auth.token-created',
    `token ${record.id} created for ${subject} (${roles.join(' ')})`,
    {
      id: record.id,
      subject,
      roles,
      expiresAtMs: record.expiresAtMs,
    },
  );
  return { token, record: toApiTokenView(record) };
}

export async function revokeApiTokenBy(context: AuthContext, id: string): Promise<void> {
  const record = (await context.store.listApiTokens()).find((t) => t.id === id);
  if (!record) throw new UnknownNameError(`no token ${id}`, { hint: 'slipway token list shows the ids' });
  if (!(await context.store.revokeApiToken(id, context.clock.nowMs()))) {
    throw new SlipwayError(`token ${id} is already revoked`);
  }
  await recordAuthEvent(context, 'auth.token-revoked', `token ${id} of ${record.subject} revoked`, {
    id,
    subject: record.subject,
  });
}

/** The longest a token may live. Longer ones are refused: rotate tokens instead. */
export const MAX_TOKEN_EXPIRY = '3650d (10 years)';
export const MAX_TOKEN_EXPIRY_MS = 3650 * 86_400_000;

/** An expiry that is not a duration, or not one a token may have; `key` names where it came from. */
export class TokenExpiryError extends SlipwayError {
  constructor(
    readonly key: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`${key} "${value}" is invalid: ${reason}`);
  }
}

/**
 * `90d`, `12h`, `30m`: how long a new token lives, more than 0 and at most MAX_TOKEN_EXPIRY. `key` is what the
 * user typed it as (`--expires`, `expiresIn`), for the message.
 */
export function parseTokenExpiry(text: string, key: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new TokenExpiryError(key, text, 'not a duration (e.g. 90d, 12h or 30m)');
  if (!(ms > 0)) throw new TokenExpiryError(key, text, 'a token must live for some time (e.g. 90d)');
  if (ms > MAX_TOKEN_EXPIRY_MS) {
    throw new TokenExpiryError(key, text, `longer than ${MAX_TOKEN_EXPIRY}, the longest a token may live`);
  }
  return ms;
}

/**
 * A time of a stored token as shown in a listing: `-` for none, else its ISO date; a value that is no date
 * (an expiry stored before expiries were bounded) shows as `invalid (<stored value>)` instead of failing.
 */
export function formatTokenTime(ms: number | null): string {
  if (ms === null) return '-';
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `invalid (${String(ms)})` : date.toISOString();
}
