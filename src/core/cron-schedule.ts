import { Cron } from 'croner';

/**
 * A scheduled job's schedule: a cron expression read in an IANA time zone. Five fields (minute hour day-of-month
 * month day-of-week) or six with seconds first ("* * * * * *": every second). Pure: no clock is read, every
 * instant is passed in. DST as croner reads it: a local time skipped when clocks go forward runs at the same
 * wall time after the jump (02:30 → 03:30), one repeated when they go back runs once.
 */
export interface CronSchedule {
  expression: string;
  timezone: string;
}

// A Cron built without a callback (and paused) schedules nothing; it only computes matches.
const cache = new Map<string, Cron>();
function cronOf(schedule: CronSchedule): Cron {
  const key = `${schedule.timezone}\u0000${schedule.expression}`;
  let cron = cache.get(key);
  if (!cron) {
    cron = new Cron(schedule.expression, { timezone: schedule.timezone, paused: true });
    if (cache.size > 256) cache.clear();
    cache.set(key, cron);
  }
  return cron;
}

/** Why the schedule cannot be read (the cron library's words), or null when it can. Pure. */
export function validateCronSchedule(schedule: CronSchedule): string | null {
  const fields = schedule.expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return 'expected five cron fields (minute hour day-of-month month day-of-week) or six with seconds first';
  }
  try {
    cronOf(schedule).nextRun(new Date(0));
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The first tick strictly after `afterMs`; null when the schedule never matches again. Pure. */
export function deriveNextTickMs(schedule: CronSchedule, afterMs: number): number | null {
  return cronOf(schedule).nextRun(new Date(afterMs))?.getTime() ?? null;
}

/**
 * The ticks in (`afterMs`, `uptoMs`], oldest first, at most `max` of them (the newest are dropped; `more` says
 * so). Pure.
 */
export function deriveTicksBetween(
  schedule: CronSchedule,
  afterMs: number,
  uptoMs: number,
  max: number,
): { ticks: number[]; more: boolean } {
  const ticks: number[] = [];
  let at = afterMs;
  for (;;) {
    const next = deriveNextTickMs(schedule, at);
    if (next === null || next > uptoMs) return { ticks, more: false };
    if (ticks.length === max) return { ticks, more: true };
    ticks.push(next);
    at = next;
  }
}
