import { deriveTicksBetween, type CronSchedule } from '../core/cron-schedule.js';

/** Ticks due at one wake of the scheduler, at most this many run (a stalled agent does not fire a flood). */
export const MAX_DUE_TICKS = 100;

export interface DueTicks {
  /** Ticks to run now, oldest first. */
  run: number[];
  /** Ticks that passed while the agent was not running (ledgered, never caught up). */
  missed: number;
  /** The cursor after this wake: the newest tick handled (run or missed). */
  cursor: number;
}

/**
 * What a job's ticks in (`cursor`, `nowMs`] become. A tick up to `agentStartedAtMs` passed while no agent ran: it is
 * missed, not caught up (a job every minute would otherwise run dozens of times after an hour's outage). A tick
 * after it is late at most by a stalled event loop and runs. A job seen for the first time (`cursor` null) starts
 * at `nowMs`: its first run is its next tick. Pure.
 */
export function deriveDueTicks(
  schedule: CronSchedule,
  cursor: number | null,
  nowMs: number,
  agentStartedAtMs: number,
): DueTicks {
  if (cursor === null) return { run: [], missed: 0, cursor: nowMs };
  // The clock went back: ticks up to the cursor ran already; the next one runs when the clock passes it again.
  if (cursor > nowMs) return { run: [], missed: 0, cursor };
  const downTo = Math.min(agentStartedAtMs, nowMs);
  let missed = 0;
  let from = cursor;
  if (cursor < downTo) {
    // Counted up to a bound: a job every second down for a week is "at least 100 000".
    missed = deriveTicksBetween(schedule, cursor, downTo, 100_000).ticks.length;
    from = downTo;
  }
  const due = deriveTicksBetween(schedule, from, nowMs, MAX_DUE_TICKS);
  if (due.more) {
    // More than a wake may run: the oldest run, the rest count as missed, and the cursor moves to now.
    const rest = deriveTicksBetween(schedule, due.ticks.at(-1) ?? from, nowMs, 100_000).ticks.length;
    return { run: due.ticks, missed: missed + rest, cursor: nowMs };
  }
  return { run: due.ticks, missed, cursor: due.ticks.at(-1) ?? from };
}
