import { meetsCondition, type AlertCondition } from '../config/alert-condition.js';

export type AlertPhase = 'ok' | 'pending' | 'firing';

export interface AlertState {
  phase: AlertPhase;
  /** When the current phase began. */
  sinceMs: number;
}

export type AlertTransition = 'fired' | 'resolved' | null;

export interface AlertStep {
  state: AlertState;
  /** Set exactly when the rule changes between firing and not firing: one ledger event per transition. */
  transition: AlertTransition;
}

/**
 * One evaluation of an alert rule (pure): ok → pending when the condition holds, pending → firing once it has
 * held for `forMs` (at once when `forMs` is 0), back to ok when it stops holding (a firing rule resolves).
 * `value` null means no data in the window: the rule keeps its phase, neither firing nor resolving on a gap.
 */
export function evaluateAlert(
  previous: AlertState,
  condition: AlertCondition,
  forMs: number,
  value: number | null,
  nowMs: number,
): AlertStep {
  if (value === null) return { state: previous, transition: null };
  const holds = meetsCondition(condition, value);
  switch (previous.phase) {
    case 'ok':
      if (!holds) return { state: previous, transition: null };
      return forMs <= 0
        ? { state: { phase: 'firing', sinceMs: nowMs }, transition: 'fired' }
        : { state: { phase: 'pending', sinceMs: nowMs }, transition: null };
    case 'pending':
      if (!holds) return { state: { phase: 'ok', sinceMs: nowMs }, transition: null };
      return nowMs - previous.sinceMs >= forMs
        ? { state: { phase: 'firing', sinceMs: nowMs }, transition: 'fired' }
        : { state: previous, transition: null };
    case 'firing':
      return holds
        ? { state: previous, transition: null }
        : { state: { phase: 'ok', sinceMs: nowMs }, transition: 'resolved' };
  }
}
