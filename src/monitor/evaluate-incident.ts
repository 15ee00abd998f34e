export interface IncidentState {
  open: boolean;
  /** Failures in a row (reset by a success). */
  failures: number;
  sinceMs: number;
}

export type IncidentTransition = 'opened' | 'resolved' | null;

/**
 * One check of something that is either up or down, e.g. the access probe (pure). An incident opens after
 * `failuresToOpen` failures in a row and resolves at the first success; each is reported once.
 */
export function evaluateIncident(
  previous: IncidentState,
  ok: boolean,
  failuresToOpen: number,
  nowMs: number,
): { state: IncidentState; transition: IncidentTransition } {
  if (ok) {
    return previous.open
      ? { state: { open: false, failures: 0, sinceMs: nowMs }, transition: 'resolved' }
      : { state: { open: false, failures: 0, sinceMs: previous.sinceMs }, transition: null };
  }
  const failures = previous.failures + 1;
  if (!previous.open && failures >= failuresToOpen)
    return { state: { open: true, failures, sinceMs: nowMs }, transition: 'opened' };
  return { state: { ...previous, failures }, transition: null };
}
