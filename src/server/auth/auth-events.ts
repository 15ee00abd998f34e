import type { Clock } from '../../core/clock.js';
import type { Store } from '../../store/index.js';

/** Who changes auth state, and where it is recorded: the CLI (its user) and the server (the request's principal). */
export interface AuthContext {
  store: Store;
  clock: Clock;
  /** The app whose ledger records the events. */
  app: string;
  actor: string;
}

export type AuthEventKind =
  | 'auth.token-created'
  | 'auth.token-revoked'
  | 'auth.user-added'
  | 'auth.user-removed'
  | 'auth.password-changed'
  | 'auth.login-throttled';

/** Appends an auth event: names, ids and roles only, never a token, password or hash. */
export async function recordAuthEvent(
  context: AuthContext,
  kind: AuthEventKind,
  message: string,
  data: Record<string, unknown>,
): Promise<void> {
  await context.store.appendEvent({
    atMs: context.clock.nowMs(),
    actor: context.actor,
    app: context.app,
    environment: null,
    kind,
    message,
    data,
  });
}
