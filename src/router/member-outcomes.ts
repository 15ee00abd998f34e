import type { EdgeFailoverSpec } from '../agent/protocol.js';
import { bucketIndexFor, type LatencyHistogram } from '../core/latency-histogram.js';
import {
  ANSWER_WINDOW_MS,
  RETRY_BUDGET_WINDOW_MS,
  allowsRetry,
  deriveAnswerBoundMs,
} from './edge-failover.js';
import { LATENCY_BOUNDS_MS } from './metrics.js';
import { SlidingCounts } from './sliding-counts.js';

const ANSWER_SLICES = 6;
const BUDGET_SLICES = 10;
const REQUESTS = 0;
const RETRIES = 1;
/** A member's bound is derived again at most this often (it is asked once per request). */
const BOUND_REFRESH_MS = 100;

/**
 * What an edge has seen of one member lately: its answer times (to the answer head), its requests and the
 * retries that left it, the last time it answered, and its timeouts in a row. Times come from the caller (a
 * monotonic clock in milliseconds), so the record stays deterministic under test.
 */
export class MemberOutcomes {
  /** Timeouts in a row; any answer head resets it. */
  consecutiveTimeouts = 0;
  #lastAnswerAtMs = Number.NEGATIVE_INFINITY;
  readonly #answers = new SlidingCounts(
    LATENCY_BOUNDS_MS.length + 1,
    ANSWER_SLICES,
    ANSWER_WINDOW_MS / ANSWER_SLICES,
  );
  readonly #budget = new SlidingCounts(2, BUDGET_SLICES, RETRY_BUDGET_WINDOW_MS / BUDGET_SLICES);
  readonly #histogram: LatencyHistogram = {
    boundsMs: [...LATENCY_BOUNDS_MS],
    counts: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
  };
  readonly #budgetTotals = [0, 0];
  #bound: { ms: number; atMs: number; spec: EdgeFailoverSpec } | null = null;

  /** An attempt was sent to the member (a first one or a retry from another member). */
  sent(nowMs: number): void {
    this.#budget.add(nowMs, REQUESTS);
  }

  /** The member answered (any status) `headMs` after the attempt was sent. */
  answered(nowMs: number, headMs: number): void {
    this.consecutiveTimeouts = 0;
    this.#lastAnswerAtMs = nowMs;
    this.#answers.add(nowMs, bucketIndexFor(LATENCY_BOUNDS_MS, headMs));
  }

  /** A timeout (no connection in time, or a silent bound expiry); returns the timeouts in a row. */
  timedOut(): number {
    return ++this.consecutiveTimeouts;
  }

  /** A request left the member for another one after its bound. */
  retriedAway(nowMs: number): void {
    this.#budget.add(nowMs, RETRIES);
  }

  silentForMs(nowMs: number): number {
    return nowMs - this.#lastAnswerAtMs;
  }

  /** The member's bound now (see `deriveAnswerBoundMs`). */
  answerBoundMs(nowMs: number, spec: EdgeFailoverSpec): number {
    const cached = this.#bound;
    if (
      cached !== null &&
      cached.spec === spec &&
      nowMs >= cached.atMs &&
      nowMs - cached.atMs < BOUND_REFRESH_MS
    )
      return cached.ms;
    this.#answers.totals(nowMs, this.#histogram.counts);
    const ms = deriveAnswerBoundMs(this.#histogram, spec);
    this.#bound = { ms, atMs: nowMs, spec };
    return ms;
  }

  retryBudgetAllows(nowMs: number, spec: EdgeFailoverSpec): boolean {
    const totals = this.#budget.totals(nowMs, this.#budgetTotals);
    return allowsRetry(
      { requests: totals[REQUESTS] as number, retries: totals[RETRIES] as number },
      spec.retryBudget,
    );
  }

  /** The member is back in rotation: its old timeouts say nothing any more. */
  forgetTimeouts(): void {
    this.consecutiveTimeouts = 0;
  }
}
