import { Cron } from 'croner';

/** A deploy window as the gate sees it: five cron fields naming allowed minutes, read in a time zone. */
export interface DeployWindow {
  cron: string;
  timezone: string;
}

export type WindowState =
  { kind: 'always' } | { kind: 'open'; window: DeployWindow } | { kind: 'closed'; opensAtMs: number | null };

const MINUTE_MS = 60_000;

// A Cron built without a callback schedules nothing; it only computes matches.
function cronOf(window: DeployWindow): Cron {
  return new Cron(window.cron, { timezone: window.timezone, paused: true });
}

/** Whether the minute that contains `atMs` is one the window's cron matches (in the window's zone). */
export function isWindowOpenAt(window: DeployWindow, atMs: number): boolean {
  const minuteStart = Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
  return (
    cronOf(window)
      .nextRun(new Date(minuteStart - 1000))
      ?.getTime() === minuteStart
  );
}

/** The start of the next minute after `atMs` in which the window opens; null when the cron never matches again. */
export function deriveNextOpeningMs(window: DeployWindow, atMs: number): number | null {
  return cronOf(window).nextRun(new Date(atMs))?.getTime() ?? null;
}

/** Open when any window matches the minute of `nowMs`; without windows a deploy may start at any time. Pure. */
export function deriveWindowState(windows: readonly DeployWindow[], nowMs: number): WindowState {
  if (windows.length === 0) return { kind: 'always' };
  const open = windows.find((w) => isWindowOpenAt(w, nowMs));
  if (open) return { kind: 'open', window: open };
  const openings = windows.map((w) => deriveNextOpeningMs(w, nowMs)).filter((t): t is number => t !== null);
  return { kind: 'closed', opensAtMs: openings.length > 0 ? Math.min(...openings) : null };
}

/**
 * When a deployment may start: not before `notBeforeMs` (a `deploy --at`), and inside a window. Null when no
 * window opens again (a cron for a date that has passed).
 */
export function deriveStartAtMs(
  windows: readonly DeployWindow[],
  notBeforeMs: number | null,
  nowMs: number,
): number | null {
  const from = Math.max(nowMs, notBeforeMs ?? nowMs);
  const state = deriveWindowState(windows, from);
  return state.kind === 'closed' ? state.opensAtMs : from;
}
