import type { Clock } from '../../core/clock.js';
import type { Store } from '../../store/index.js';
import { authenticateApiToken, bearerTokenOf } from './authenticate-token.js';
import type { Principal } from './principal.js';

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

/** API tokens (`Authorization: Bearer slp_…`). Dashboard sessions are added beside it (see docs/server.md). */
export function createAuthenticator(deps: { store: Store; clock: Clock }): Authenticator {
  return {
    async authenticate(request) {
      const token = bearerTokenOf(request.header('authorization'));
      if (token === null) return { ok: false, status: 401, error: 'authentication required' };
      const principal = await authenticateApiToken(deps.store, deps.clock, token);
      return principal
        ? { ok: true, principal }
        : { ok: false, status: 401, error: 'the token is unknown, revoked or expired' };
    },
  };
}
