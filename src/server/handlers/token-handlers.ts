import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseDurationMs } from '../../core/duration.js';
import { NotFoundError } from '../../core/errors.js';
import type { ApiTokenRecord } from '../../store/index.js';
import { generateApiToken, hashApiToken } from '../auth/api-token.js';
import { formatGrant, parseGrant } from '../auth/roles.js';
import { HttpError } from '../map-error.js';
import { jsonBody, pathParam } from '../request-input.js';
import type { Handler } from './handler.js';
import { principalOf } from './handler.js';

/** A token as listed: never its hash. */
export type ApiTokenView = Omit<ApiTokenRecord, 'tokenHash'>;

function toView(record: ApiTokenRecord): ApiTokenView {
  const { tokenHash: _hash, ...view } = record;
  return view;
}

/** GET /tokens: every token, revoked ones included, without hashes. */
export const listTokens: Handler = async (c, deps) =>
  c.json((await deps.project.store.listApiTokens()).map(toView));

const createBody = z.strictObject({
  subject: z.string().min(1),
  description: z.string().default(''),
  roles: z.array(z.string()).min(1),
  expiresIn: z.string().optional(),
});

/** POST /tokens {subject, description?, roles, expiresIn?}: the token is in this answer only. */
export const postToken: Handler = async (c, deps) => {
  const body = await jsonBody(c, createBody);
  const grants = body.roles.map(parseGrant);
  const now = deps.project.clock.nowMs();
  const expiresInMs = body.expiresIn === undefined ? null : parseDurationMs(body.expiresIn);
  if (expiresInMs === undefined || (expiresInMs !== null && expiresInMs <= 0))
    throw new HttpError(400, `expiresIn "${body.expiresIn}" is not a duration`, { hint: 'e.g. 90d or 12h' });
  const token = generateApiToken();
  const record: ApiTokenRecord = {
    id: `tok_${randomBytes(6).toString('hex')}`,
    subject: body.subject,
    description: body.description,
    tokenHash: hashApiToken(token),
    grants,
    createdBy: principalOf(c).name,
    createdAtMs: now,
    expiresAtMs: expiresInMs === null ? null : now + expiresInMs,
    lastUsedAtMs: null,
    revokedAtMs: null,
  };
  await deps.project.store.createApiToken(record);
  await deps.project.store.appendEvent({
    atMs: now,
    actor: principalOf(c).name,
    app: deps.project.config.app,
    environment: null,
    kind: 'auth.token-created',
    message: `token ${record.id} for ${record.subject} (${grants.map(formatGrant).join(', ')}) created`,
    data: { id: record.id, subject: record.subject, grants: grants.map(formatGrant) },
  });
  return c.json({ token, record: toView(record) }, 201);
};

/** DELETE /tokens/:id: revokes a live token; 404 for an unknown or already revoked one. */
export const deleteToken: Handler = async (c, deps) => {
  const id = pathParam(c, 'id');
  const now = deps.project.clock.nowMs();
  if (!(await deps.project.store.revokeApiToken(id, now))) throw new NotFoundError(`no live token ${id}`);
  await deps.project.store.appendEvent({
    atMs: now,
    actor: principalOf(c).name,
    app: deps.project.config.app,
    environment: null,
    kind: 'auth.token-revoked',
    message: `token ${id} revoked`,
    data: { id },
  });
  return c.body(null, 204);
};
