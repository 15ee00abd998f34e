import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, SlipwayError } from '../../core/errors.js';
import type { Store } from '../../store/index.js';
import type { ApiError, SessionView } from '../api-types.js';
import type { AuthContext } from './auth-events.js';
import { DEFAULT_AUTH_POLICY, SESSION_COOKIE, type AuthPolicy } from './auth-policy.js';
import type { Authenticator, AuthRequest } from './authenticator.js';
import { loginWithPassword } from './login-with-password.js';
import {
  createApiTokenFor,
  parseTokenExpiry,
  revokeApiTokenBy,
  toApiTokenView,
} from './manage-api-tokens.js';
import { addUser, removeUser, toUserView } from './manage-users.js';
import type { Principal } from './principal.js';
import { deriveRequestOrigin, type RequestOrigin } from './request-origin.js';
import { can, parseGrant } from './roles.js';
import { formatClearedSessionCookie, formatSessionCookie } from './session-cookie.js';
import { deriveCsrfToken, hashSessionId } from './session-secret.js';

export interface AuthRoutesDeps {
  store: Store;
  clock: Clock;
  /** The app whose ledger records auth events. */
  app: string;
  authenticator: Authenticator;
  policy?: AuthPolicy;
}

const LoginBody = z.object({ user: z.string().min(1).max(200), password: z.string().min(1).max(1024) });
const NewUserBody = z.object({ name: z.string(), password: z.string(), roles: z.array(z.string()).min(1) });
const NewTokenBody = z.object({
  subject: z.string(),
  description: z.string().default(''),
  roles: z.array(z.string()).min(1),
  expiresIn: z.string().optional(),
});

/**
 * Login, logout, the session, users and API tokens under /api/v1. Each handler checks its own access (any
 * principal, or admin) through the authenticator, whatever middleware runs before it.
 */
export function mountAuthRoutes<E extends object>(app: Hono<E>, deps: AuthRoutesDeps): void {
  const policy = deps.policy ?? DEFAULT_AUTH_POLICY;
  const guarded =
    (need: 'authenticated' | 'admin', handler: (c: Context, principal: Principal) => Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      const result = await deps.authenticator.authenticate(authRequestOf(c));
      if (!result.ok) return c.json<ApiError>({ error: result.error }, result.status);
      if (need === 'admin' && !can(result.principal.grants, 'admin', null)) {
        return c.json<ApiError>({ error: `${result.principal.name} may not administer this server` }, 403);
      }
      try {
        return await handler(c, result.principal);
      } catch (error) {
        return answerError(c, error);
      }
    };
  const contextFor = (principal: Principal): AuthContext => ({ ...deps, actor: principal.name });

  app.post('/api/v1/login', async (c) => {
    const body = LoginBody.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json<ApiError>({ error: 'send {"user": "…", "password": "…"}' }, 400);
    const origin = requestOriginOf(c);
    const outcome = await loginWithPassword(deps, policy, { ...body.data, address: origin.address });
    switch (outcome.kind) {
      case 'throttled': {
        const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
        c.header('Retry-After', String(seconds));
        return c.json<ApiError>({ error: `too many failed logins; try again in ${seconds} s` }, 429);
      }
      case 'refused':
        return c.json<ApiError>({ error: 'wrong user name or password' }, 401);
      case 'logged-in':
        c.header(
          'Set-Cookie',
          formatSessionCookie({
            sessionId: outcome.sessionId,
            maxAgeMs: policy.sessionAbsoluteTimeoutMs,
            secure: origin.secure,
          }),
        );
        return c.json<SessionView>({
          ...outcome.principal,
          grants: [...outcome.principal.grants],
          csrfToken: deriveCsrfToken(outcome.sessionId),
        });
    }
  });

  app.post(
    '/api/v1/logout',
    guarded('authenticated', async (c, principal) => {
      const sessionId = getCookie(c, SESSION_COOKIE);
      if (principal.via === 'session' && sessionId) {
        await deps.store.deleteSession(hashSessionId(sessionId));
        c.header('Set-Cookie', formatClearedSessionCookie(requestOriginOf(c).secure));
      }
      return c.body(null, 204);
    }),
  );

  app.get(
    '/api/v1/session',
    guarded('authenticated', (c, principal) => {
      const sessionId = getCookie(c, SESSION_COOKIE);
      const csrfToken = principal.via === 'session' && sessionId ? deriveCsrfToken(sessionId) : null;
      return Promise.resolve(c.json<SessionView>({ ...principal, grants: [...principal.grants], csrfToken }));
    }),
  );

  app.get(
    '/api/v1/users',
    guarded('admin', async (c) => c.json((await deps.store.listUsers()).map(toUserView))),
  );
  app.post(
    '/api/v1/users',
    guarded('admin', async (c, principal) => {
      const body = NewUserBody.parse(await c.req.json());
      const user = await addUser(contextFor(principal), {
        name: body.name,
        password: body.password,
        grants: body.roles.map(parseGrant),
      });
      return c.json(user, 201);
    }),
  );
  app.delete(
    '/api/v1/users/:name',
    guarded('admin', async (c, principal) => {
      await removeUser(contextFor(principal), c.req.param('name') ?? '');
      return c.body(null, 204);
    }),
  );

  app.get(
    '/api/v1/tokens',
    guarded('admin', async (c) => c.json((await deps.store.listApiTokens()).map(toApiTokenView))),
  );
  app.post(
    '/api/v1/tokens',
    guarded('admin', async (c, principal) => {
      const body = NewTokenBody.parse(await c.req.json());
      const created = await createApiTokenFor(contextFor(principal), {
        subject: body.subject,
        description: body.description,
        grants: body.roles.map(parseGrant),
        expiresInMs: body.expiresIn === undefined ? null : parseTokenExpiry(body.expiresIn),
      });
      return c.json(created, 201);
    }),
  );
  app.delete(
    '/api/v1/tokens/:id',
    guarded('admin', async (c, principal) => {
      await revokeApiTokenBy(contextFor(principal), c.req.param('id') ?? '');
      return c.body(null, 204);
    }),
  );
}

/** The framework-free view of a hono request that the authenticator reads. */
export function authRequestOf(c: Context): AuthRequest {
  return {
    method: c.req.method,
    header: (name) => c.req.header(name),
    cookie: (name) => getCookie(c, name),
  };
}

export function requestOriginOf(c: Context): RequestOrigin {
  let peerAddress: string | undefined;
  try {
    peerAddress = getConnInfo(c).remote.address;
  } catch {
    peerAddress = undefined; // not served by @hono/node-server (an in-process request)
  }
  return deriveRequestOrigin({
    peerAddress,
    url: c.req.url,
    forwardedFor: c.req.header('x-forwarded-for'),
    forwardedProto: c.req.header('x-forwarded-proto'),
  });
}

function answerError(c: Context, error: unknown): Response {
  if (error instanceof z.ZodError) {
    return c.json<ApiError>(
      {
        error: `bad request: ${error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`,
      },
      400,
    );
  }
  if (error instanceof SyntaxError) return c.json<ApiError>({ error: 'the body is not JSON' }, 400);
  if (error instanceof NotFoundError) return c.json<ApiError>(apiError(error), 404);
  if (error instanceof ConflictError) return c.json<ApiError>(apiError(error), 409);
  if (error instanceof SlipwayError) return c.json<ApiError>(apiError(error), 400);
  throw error;
}

function apiError(error: SlipwayError): ApiError {
  return error.hint ? { error: error.message, hint: error.hint } : { error: error.message };
}
