import type { AuthPolicy } from './auth-policy.js';

export interface SessionTimes {
  createdAtMs: number;
  lastSeenAtMs: number;
}

export type SessionState = 'live' | 'idle' | 'expired';

/** Whether a session may still be used at `nowMs`: `idle` after the idle timeout, `expired` after the absolute one. */
export function deriveSessionState(
  session: SessionTimes,
  nowMs: number,
  policy: Pick<AuthPolicy, 'sessionIdleTimeoutMs' | 'sessionAbsoluteTimeoutMs'>,
): SessionState {
  if (nowMs >= session.createdAtMs + policy.sessionAbsoluteTimeoutMs) return 'expired';
  if (nowMs >= session.lastSeenAtMs + policy.sessionIdleTimeoutMs) return 'idle';
  return 'live';
}
