/**
 * The knobs of dashboard auth, in one place. They are constants (not slipway.yml keys) because they protect the
 * server rather than describe an app; `createAuthenticator` and `mountAuthRoutes` take an override for tests.
 */
export interface AuthPolicy {
  /** A session unused this long ends (the dashboard polls, so an open tab keeps it alive). */
  sessionIdleTimeoutMs: number;
  /** A session ends this long after login, however busy. */
  sessionAbsoluteTimeoutMs: number;
  /** Last use is written at most this often per session (idle expiry is this coarse; it spares a write per request). */
  sessionTouchIntervalMs: number;
  /** Failed logins counted over this sliding window. */
  loginWindowMs: number;
  /** Failures per user name within the window before its logins are refused (429). */
  loginFailuresPerUser: number;
  /** Failures per client address within the window (one address spraying many names). */
  loginFailuresPerAddress: number;
  minPasswordLength: number;
}

const HOUR_MS = 3_600_000;

export const DEFAULT_AUTH_POLICY: AuthPolicy = {
  sessionIdleTimeoutMs: 12 * HOUR_MS,
  sessionAbsoluteTimeoutMs: 7 * 24 * HOUR_MS,
  sessionTouchIntervalMs: 60_000,
  loginWindowMs: 15 * 60_000,
  loginFailuresPerUser: 5,
  loginFailuresPerAddress: 20,
  minPasswordLength: 12,
};

/** The dashboard's session cookie. */
export const SESSION_COOKIE = 'slipway_session';

/** The header a session's unsafe requests carry (its value: `SessionView.csrfToken`). */
export const CSRF_HEADER = 'x-csrf-token';
