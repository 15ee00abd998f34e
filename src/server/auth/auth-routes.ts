import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, SlipwayError } from '../../core/errors.js';
import type { Store } from '../../store/index.js';
import type { ApiError, SessionView } from '../api-types.js';
import { ROUTES, routeKey, type Route } from '../routes.js';
import type { ServerEnv } from '../server-env.js';
import type { AuthContext } from './auth-events.js';
import { DEFAULT_AUTH_POLICY, SESSION_COOKIE, type AuthPolicy } from './auth-policy.js';
import type { Authenticator, AuthRequest } from './authenticator.js';
import { loginWithPassword } from './login-with-password.js';
import { dummyPasswordHash } from './password-hash.js';
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
  /** The server terminates TLS itself: cookies are Secure whatever the request says. */
  https?: boolean;
  policy?: AuthPolicy;
}

type AuthRoute = Extract<Route, { owner: 'auth' }>;
type AuthRouteKey = AuthRoute extends infer R
  ? R extends Route
    ? `${R['method']} ${R['path']}`
    : never
  : never;

interface AuthHandlerInput {
  c: Context<ServerEnv>;
  /** Null on public routes. */
  principal: Principal | null;
  deps: AuthRoutesDeps;
  policy: AuthPolicy;
}
type AuthHandler = (input: AuthHandlerInput) => Promise<Response>;

const LoginBody = z.object({ user: z.string().min(1).max(200), password: z.string().min(1).max(1024) });
const NewUserBody = z.object({ name: z.string(), password: z.string(), roles: z.array(z.string()).min(1) });

/** A handler for every route ROUTES gives to auth: one missing does not compile. */
const AUTH_HANDLERS: Record<AuthRouteKey, AuthHandler> = {
  'POST /api/v1/login': login,
  'POST /api/v1/logout': logout,
  'GET /api/v1/session': ({ c, principal }) => {
    const sessionId = getCookie(c, SESSION_COOKIE);
    const who = principal as Principal;
    const csrfToken = who.via === 'session' && sessionId ? deriveCsrfToken(sessionId) : null;
    return Promise.resolve(c.json<SessionView>({ ...who, grants: [...who.grants], csrfToken }));
  },
  'GET /api/v1/users': async ({ c, deps }) => c.json((await deps.store.listUsers()).map(toUserView)),
  'POST /api/v1/users': async ({ c, principal, deps }) => {
    const body = NewUserBody.parse(await c.req.json());
    const user = await addUser(contextFor(deps, principal), {
      name: body.name,
      password: body.password,
      grants: body.roles.map(parseGrant),
    });
    return c.json(user, 201);
  },
  'DELETE /api/v1/users/:name': async ({ c, principal, deps }) => {
    await removeUser(contextFor(deps, principal), c.req.param('name') ?? '');
    return c.body(null, 204);
  },
};

/**
 * Mounts the routes ROUTES gives to auth: login, logout, the session, users. In `slipway server` the
 * authorization middleware built from ROUTES has run before (its principal is on the context); mounted alone
 * (tests), each handler authenticates and checks the route's access itself, so it is never open by accident.
 */
export function mountAuthRoutes(app: Hono<ServerEnv>, deps: AuthRoutesDeps): void {
  const policy = deps.policy ?? DEFAULT_AUTH_POLICY;
  // Computed now rather than on the first unknown name, whose answer would otherwise take twice as long.
  void dummyPasswordHash();
  for (const route of ROUTES) {
    if (route.owner !== 'auth') continue;
    const handler = AUTH_HANDLERS[routeKey(route) as AuthRouteKey];
    app.on(route.method, route.path, async (c) => {
      const access = await principalFor(c, route, deps.authenticator);
      if (access.kind === 'refused') return c.json<ApiError>({ error: access.error }, access.status);
      try {
        return await handler({ c, principal: access.principal, deps, policy });
      } catch (error) {
        return answerError(c, error);
      }
    });
  }
}

async function login({ c, deps, policy }: AuthHandlerInput): Promise<Response> {
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
    case 'logged-in': {
      // A login from a browser that still holds a session replaces it rather than leaving two alive.
      const previous = getCookie(c, SESSION_COOKIE);
      if (previous) await deps.store.deleteSession(hashSessionId(previous));
      c.header(
        'Set-Cookie',
        formatSessionCookie({
          sessionId: outcome.sessionId,
          maxAgeMs: policy.sessionAbsoluteTimeoutMs,
          secure: deps.https === true || origin.secure,
        }),
      );
      return c.json<SessionView>({
        ...outcome.principal,
        grants: [...outcome.principal.grants],
        csrfToken: deriveCsrfToken(outcome.sessionId),
      });
    }
  }
}

async function logout({ c, principal, deps }: AuthHandlerInput): Promise<Response> {
  const sessionId = getCookie(c, SESSION_COOKIE);
  if (principal?.via === 'session' && sessionId) {
    await deps.store.deleteSession(hashSessionId(sessionId));
    c.header('Set-Cookie', formatClearedSessionCookie(deps.https === true || requestOriginOf(c).secure));
  }
  return c.body(null, 204);
}

type Access =
  { kind: 'allowed'; principal: Principal | null } | { kind: 'refused'; status: 401 | 403; error: string };

async function principalFor(
  c: Context<ServerEnv>,
  route: AuthRoute,
  authenticator: Authenticator,
): Promise<Access> {
  if (route.access === 'public') return { kind: 'allowed', principal: null };
  // Set by the server's authorization middleware (src/server/authorize.ts), which also checked the access.
  const checked = c.get('principal') as Principal | undefined;
  if (checked) return { kind: 'allowed', principal: checked };
  const result = await authenticator.authenticate(authRequestOf(c));
  if (!result.ok) return { kind: 'refused', status: result.status, error: result.error };
  if (route.access !== 'authenticated' && !can(result.principal.grants, route.access.action, null)) {
    return { kind: 'refused', status: 403, error: `${result.principal.name} may not ${route.access.action}` };
  }
  return { kind: 'allowed', principal: result.principal };
}

function contextFor(deps: AuthRoutesDeps, principal: Principal | null): AuthContext {
  return { store: deps.store, clock: deps.clock, app: deps.app, actor: principal?.name ?? 'anonymous' };
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
    const issues = error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    return c.json<ApiError>({ error: `bad request: ${issues}` }, 400);
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
