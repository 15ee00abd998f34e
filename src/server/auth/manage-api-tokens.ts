import { randomBytes } from 'node:crypto';
import { parseDurationMs } from '../../core/duration.js';
import { NotFoundError, SlipwayError } from '../../core/errors.js';
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
  if (request.expiresInMs !== null && !(request.expiresInMs > 0)) {
    throw new SlipwayError('a token must expire in the future', { hint: 'e.g. --expires 90d' });
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
  if (!record) throw new NotFoundError(`no token ${id}`, { hint: 'slipway token list shows the ids' });
  if (!(await context.store.revokeApiToken(id, context.clock.nowMs()))) {
    throw new SlipwayError(`token ${id} is already revoked`);
  }
  await recordAuthEvent(context, 'auth.token-revoked', `token ${id} of ${record.subject} revoked`, {
    id,
    subject: record.subject,
  });
}

/** `90d`, `12h`, `30m`: how long a new token lives. */
export function parseTokenExpiry(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms <= 0) {
    throw new SlipwayError(`"${text}" is not a duration`, { hint: 'e.g. 90d, 12h or 30m' });
  }
  return ms;
}
