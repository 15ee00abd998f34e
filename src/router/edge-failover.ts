/**
 * The edge's failover decisions, pure: how long a request to a member waits before it may go elsewhere, when a
 * member counts as silent, whether its retry budget allows a retry, and when a member is ejected without waiting
 * for its health checks. The edge pool (edge-pool.ts) keeps the numbers these read; the pool exchange
 * (pool-exchange.ts) acts on the answers.
 *
 * The bound detects silence, not slowness. A cut link (packets dropped, no RST) answers nothing at all; a slow
 * request on a live member is slow while the member keeps answering its other requests. So a request past its
 * bound is retried (and counts towards ejection) only when its member has answered nothing for a while: a 5 s
 * export on a busy host is left alone, the requests of a host whose link is gone move on after the bound.
 */
import type { EdgeFailoverSpec, EjectionCause } from '../agent/protocol.js';
import { DEFAULTS } from '../config/defaults.js';
import { parseDurationMs } from '../core/duration.js';
import { quantileFromHistogram, type LatencyHistogram } from '../core/latency-histogram.js';

/** The failover of an edge whose control plane sent none (an older one), from the config's defaults. */
export const DEFAULT_EDGE_FAILOVER: EdgeFailoverSpec = {
  connectTimeoutMs: parseDurationMs(DEFAULTS.edge.connectTimeout) as number,
  answerTimeoutMinMs: parseDurationMs(DEFAULTS.edge.answerTimeout.min) as number,
  answerTimeoutMaxMs: parseDurationMs(DEFAULTS.edge.answerTimeout.max) as number,
  retryBudget: DEFAULTS.edge.retryBudget,
  ejectAfter: DEFAULTS.edge.ejectAfter,
};

/**
 * The longest `answerTimeout.max`: undici's own header timeout of a member's pool (router-target.ts, 300 s) is
 * the backstop behind the edge's timer per attempt.
 */
export const MAX_ANSWER_TIMEOUT_MS = 300_000;
/** The quantile of a member's recent answer times (time to the answer head) its bound follows. */
export const ANSWER_QUANTILE = 0.99;
/** How far back "recent" answer times go. */
export const ANSWER_WINDOW_MS = 60_000;
/** The window a member's retry budget is counted over. */
export const RETRY_BUDGET_WINDOW_MS = 10_000;
/** Retries a member's budget allows in any window however few its requests, so a quiet edge still fails over. */
export const MIN_RETRIES_PER_WINDOW = 3;
/** A member is silent when it has sent no answer head for at least this share of the expiring bound. */
export const SILENCE_SHARE_OF_BOUND = 0.5;

/**
 * How long an attempt on a member waits for an answer head before it may be retried elsewhere: the member's
 * recent p99 (time to the answer head), between the floor and the cap; the floor when it has answered nothing
 * recently. The histogram's buckets are coarse above 1 s (1, 2.5, 5, 10 s): the interpolated p99 then leans high,
 * which only makes a retry later.
 */
export function deriveAnswerBoundMs(
  recent: LatencyHistogram,
  spec: Pick<EdgeFailoverSpec, 'answerTimeoutMinMs' | 'answerTimeoutMaxMs'>,
): number {
  const p99 = quantileFromHistogram(recent, ANSWER_QUANTILE);
  const wanted = p99 === null ? spec.answerTimeoutMinMs : Math.ceil(p99);
  return Math.min(spec.answerTimeoutMaxMs, Math.max(spec.answerTimeoutMinMs, wanted));
}

/**
 * What a failed attempt says about its member: `refused` and `unreachable` that nothing answers at its address
 * (the request was never sent), `timeout` that no connection was made in time, `stale` that a kept-alive
 * connection was closed under the request before any byte of an answer (the member is fine; a retry on a fresh
 * connection is). Null: nothing about the member (the router's own error, a malformed answer).
 */
export type PoolFailure = 'refused' | 'unreachable' | 'timeout' | 'stale';

export function classifyPoolFailure(code: string): PoolFailure | null {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      return 'unreachable';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return 'stale';
    default:
      return null;
  }
}

/** The ejection cause a failure would give its member. */
export function ejectionCauseOf(failure: Exclude<PoolFailure, 'stale'>): EjectionCause {
  return failure === 'timeout' ? 'timeouts' : failure;
}

export interface BoundExpiry {
  /** GET, HEAD or OPTIONS without a body: safe to send again. */
  idempotent: boolean;
  /** The request was retried once already (a request is retried at most once). */
  retried: boolean;
  /** Since the member's last answer head (any request's); Infinity when it never answered. */
  silentForMs: number;
  boundMs: number;
  /** The member's retry budget has room for one more. */
  budgetAllows: boolean;
}

/**
 * An attempt got no answer head within its bound. `silent`: its member answered nothing else meanwhile either,
 * so the expiry counts as a timeout towards ejection. `retry`: cancel the attempt and send the request to
 * another member (when there is one) — only an idempotent request not yet retried, only from a silent member,
 * and only within the member's budget. Otherwise the attempt goes on waiting, up to the cap.
 */
export function decideAtBound(expiry: BoundExpiry): { silent: boolean; retry: boolean } {
  const silent = expiry.silentForMs >= expiry.boundMs * SILENCE_SHARE_OF_BOUND;
  return { silent, retry: silent && expiry.idempotent && !expiry.retried && expiry.budgetAllows };
}

/**
 * Whether one more retry away from a member fits its budget: retries at most `ratio` of its requests over the
 * budget's window, and at least `MIN_RETRIES_PER_WINDOW`. A slow but live pool then cannot double its own load.
 */
export function allowsRetry(window: { requests: number; retries: number }, ratio: number): boolean {
  return window.retries + 1 <= Math.max(MIN_RETRIES_PER_WINDOW, Math.floor(ratio * window.requests));
}

export interface EjectionCandidate {
  failure: Exclude<PoolFailure, 'stale'>;
  /** The member's timeouts in a row, this one included (an answer head resets it). */
  consecutiveTimeouts: number;
  ejectAfter: number;
  /** Other members in rotation: the last one is never ejected by the edge's own requests. */
  othersInRotation: number;
  /** Enabled members, and of those how many are out now for timeouts. */
  enabledMembers: number;
  ejectedForTimeouts: number;
}

/**
 * Passive health (outlier detection): whether a failed attempt ejects its member now, before its checks notice.
 * A refused or unreachable address ejects at once: nothing is there. Timeouts eject after `ejectAfter` in a
 * row, and at most half of the enabled members (at least one) may be out for timeouts at once: when the whole
 * pool turns silent (a shared database hangs) the edge does not pile everything on the last member. Only the
 * checks may empty the rotation.
 */
export function decidePassiveEjection(c: EjectionCandidate): boolean {
  if (c.othersInRotation < 1) return false;
  if (c.failure !== 'timeout') return true;
  if (c.consecutiveTimeouts < c.ejectAfter) return false;
  return c.ejectedForTimeouts + 1 <= Math.max(1, Math.floor(c.enabledMembers / 2));
}
