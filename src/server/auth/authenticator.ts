import type { Clock } from '../../core/clock.js';
import type { Store } from '../../store/index.js';
import { CSRF_HEADER, DEFAULT_AUTH_POLICY, SESSION_COOKIE, type AuthPolicy } from './auth-policy.js';
import { authenticateSession } from './authenticate-session.js';
import { authenticateApiToken, bearerTokenOf } from './authenticate-token.js';
import type { Principal } from './principal.js';
import { deriveCsrfToken, safeEqual } from './session-secret.js';

/** What authentication needs of a request (kept apart from the HTTP framework so it can be tested alone). */
export interface AuthRequest {
  method: string;
  header(name: string): string | undefined;
  cookie(name: string): string | undefined;
}

export type AuthResult =
  | { ok: true; principal: Principal }
  /** 401: no credentials or unknown ones; 403: known but refused (e.g. a session's POST without its CSRF token). */
  | { ok: false; status: 401 | 403; error: string };

export interface Authenticator {
  authenticate(request: AuthRequest): Promise<AuthResult>;
}

/** Methods that change something: a session needs its CSRF token for them. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * API tokens (`Authorization: Bearer slp_…`) or the dashboard's session cookie. A request with an Authorization
 * header is judged by its token alone (a wrong token is refused even beside a good cookie). A session's unsafe
 * request (POST, PUT, PATCH, DELETE) must carry its CSRF token in X-CSRF-Token: a cookie is sent by the browser
 * whoever made the page, the token only by our dashboard. Bearer requests need none: no browser adds them.
 */
export function createAuthenticator(deps: {
  store: Store;
  clock: Clock;
  policy?: AuthPolicy;
}): Authenticator {
  const policy = deps.policy ?? DEFAULT_AUTH_POLICY;
  return {
    async authenticate(request) {
      const authorization = request.header('authorization');
      if (authorization !== undefined) {
        const token = bearerTokenOf(authorization);
        const principal = token === null ? null : await authenticateApiToken(deps.store, deps.clock, token);
        return principal
          ? { ok: true, principal }
          : { ok: false, status: 401, error: 'the token is unknown, revoked or expired' };
      }
      const sessionId = request.cookie(SESSION_COOKIE);
      if (!sessionId) return { ok: false, status: 401, error: 'authentication required' };
      const principal = await authenticateSession(deps.store, deps.clock, policy, sessionId);
      if (!principal) return { ok: false, status: 401, error: 'the session has ended; log in again' };
      if (!SAFE_METHODS.has(request.method.toUpperCase())) {
        const sent = request.header(CSRF_HEADER) ?? '';
        if (!safeEqual(sent, deriveCsrfToken(sessionId))) {
          return { ok: false, status: 403, error: 'missing or wrong X-CSRF-Token for this session' };
        }
      }
      return { ok: true, principal };
    },
  };
}
