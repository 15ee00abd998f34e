import { z } from 'zod';
import type { AuthContext } from '../auth/auth-events.js';
import {
  createApiTokenFor,
  parseTokenExpiry,
  revokeApiTokenBy,
  toApiTokenView,
} from '../auth/manage-api-tokens.js';
import { parseGrant } from '../auth/roles.js';
import { jsonBody, pathParam } from '../request-input.js';
import type { ServerContext, ServerDeps } from '../server-env.js';
import type { Handler } from './handler.js';
import { principalOf } from './handler.js';

/** The same token management as `slipway token`, with the request's principal as the actor. */
function authContext(c: ServerContext, deps: ServerDeps): AuthContext {
  const { store, clock, config } = deps.project;
  return { store, clock, app: config.app, actor: principalOf(c).name };
}

/** GET /tokens: every token, revoked ones included, never a hash. */
export const listTokens: Handler = async (c, deps) =>
  c.json((await deps.project.store.listApiTokens()).map(toApiTokenView));

const createBody = z.strictObject({
  subject: z.string().min(1),
  description: z.string().default(''),
  roles: z.array(z.string()).min(1),
  expiresIn: z.string().optional(),
});

/**
 * POST /tokens {subject, description?, roles, expiresIn?}: 201 {token, record}; the token is shown only here.
 * A bad `expiresIn` (not a duration, or beyond MAX_TOKEN_EXPIRY) is a 400 before anything is stored.
 */
export const postToken: Handler = async (c, deps) => {
  const body = await jsonBody(c, createBody);
  const created = await createApiTokenFor(authContext(c, deps), {
    subject: body.subject,
    description: body.description,
    grants: body.roles.map(parseGrant),
    expiresInMs: body.expiresIn === undefined ? null : parseTokenExpiry(body.expiresIn, 'expiresIn'),
  });
  return c.json(created, 201);
};

/** DELETE /tokens/:id: 204; 404 for an unknown id, 400 for a token already revoked. */
export const deleteToken: Handler = async (c, deps) => {
  await revokeApiTokenBy(authContext(c, deps), pathParam(c, 'id'));
  return c.body(null, 204);
};
