/**
 * How many refusals of one kind (per app and receiver) get a ledger row of their own: the first
 * `rowsPerWindow` of each window; the rest of the window is only counted, and the count becomes one summary row
 * when the window has closed. A flood of bad requests then costs a few rows a minute, not one per request.
 */
export interface RefusalBudgetLimits {
  windowMs: number;
  rowsPerWindow: number;
}

export const REFUSAL_BUDGET: RefusalBudgetLimits = { windowMs: 60_000, rowsPerWindow: 10 };

/** At most this many distinct sender addresses are named in a summary; the rest are only counted. */
export const MAX_SUMMARY_ADDRESSES = 5;

export interface Refusal {
  atMs: number;
  /** Why, in a word (`unsigned`, `mismatch`, `seen-before` …): summaries count refusals per reason. */
  reason: string;
  remoteAddress: string;
}

/** The refusals of a window that got no row of their own. */
export interface RefusalSummary {
  count: number;
  /** The window: from its first refusal to its end (or to the flush that closed it early). */
  fromMs: number;
  toMs: number;
  byReason: Record<string, number>;
  /** The first few distinct sender addresses, at most MAX_SUMMARY_ADDRESSES. */
  remoteAddresses: string[];
  /** Whether other addresses sent some too. */
  moreRemoteAddresses: boolean;
}

export interface RefusalBudgetState {
  /** null before the first refusal, and after a flush that closed the window. */
  windowStartMs: number | null;
  rows: number;
  counted: Omit<RefusalSummary, 'fromMs' | 'toMs'>;
}

export const EMPTY_REFUSAL_BUDGET: RefusalBudgetState = {
  windowStartMs: null,
  rows: 0,
  counted: { count: 0, byReason: {}, remoteAddresses: [], moreRemoteAddresses: false },
};

export interface RefusalVerdict {
  state: RefusalBudgetState;
  /** Whether this refusal gets a ledger row of its own. */
  write: boolean;
  /** The count of the window that had closed before this refusal, to be written first; null when none. */
  summary: RefusalSummary | null;
}

/** Judges one refusal: a row of its own while the window's budget lasts, else only counted. */
export function deriveRefusalVerdict(
  state: RefusalBudgetState,
  refusal: Refusal,
  limits: RefusalBudgetLimits = REFUSAL_BUDGET,
): RefusalVerdict {
  const closed = deriveClosedWindow(state, refusal.atMs, limits);
  const current = closed.state;
  if (current.windowStartMs === null) {
    return {
      state: { ...current, windowStartMs: refusal.atMs, rows: 1 },
      write: true,
      summary: closed.summary,
    };
  }
  if (current.rows < limits.rowsPerWindow) {
    return { state: { ...current, rows: current.rows + 1 }, write: true, summary: closed.summary };
  }
  return {
    state: { ...current, counted: countRefusal(current.counted, refusal) },
    write: false,
    summary: closed.summary,
  };
}

/**
 * Ends the window when it is over at `nowMs` (or at once with `force`, when the receiver stops) and answers
 * the summary of what it counted, if anything.
 */
export function deriveClosedWindow(
  state: RefusalBudgetState,
  nowMs: number,
  limits: RefusalBudgetLimits = REFUSAL_BUDGET,
  options: { force?: boolean } = {},
): { state: RefusalBudgetState; summary: RefusalSummary | null } {
  if (state.windowStartMs === null) return { state, summary: null };
  const endMs = state.windowStartMs + limits.windowMs;
  if (nowMs < endMs && options.force !== true) return { state, summary: null };
  const summary =
    state.counted.count === 0
      ? null
      : { ...state.counted, fromMs: state.windowStartMs, toMs: Math.min(nowMs, endMs) };
  return { state: EMPTY_REFUSAL_BUDGET, summary };
}

function countRefusal(
  counted: RefusalBudgetState['counted'],
  refusal: Refusal,
): RefusalBudgetState['counted'] {
  const known = counted.remoteAddresses.includes(refusal.remoteAddress);
  const room = counted.remoteAddresses.length < MAX_SUMMARY_ADDRESSES;
  return {
    count: counted.count + 1,
    byReason: { ...counted.byReason, [refusal.reason]: (counted.byReason[refusal.reason] ?? 0) + 1 },
    remoteAddresses:
      known || !room ? counted.remoteAddresses : [...counted.remoteAddresses, refusal.remoteAddress],
    moreRemoteAddresses: counted.moreRemoteAddresses || (!known && !room),
  };
}
