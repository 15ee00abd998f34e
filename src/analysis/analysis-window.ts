import type { TargetMetrics } from '../agent/protocol.js';
import { deriveWindow, type WindowStats } from './window.js';

/** The canary's and stable's router counters at one moment, each summed over the environment's hosts. */
export interface MetricsSnapshot {
  canary: TargetMetrics;
  stable: TargetMetrics;
}

/** What both sides served in the window an analysis judges. */
export interface AnalysisWindow {
  canary: WindowStats;
  stable: WindowStats;
}

/**
 * The window the analysis judges: what canary and stable served since the last change of the canary's traffic
 * (a weight set, or a host switched), from the snapshots taken at each change, oldest first. Null before the
 * canary got any traffic.
 *
 * Only the current step counts, as in Argo Rollouts' step analysis: a canary good at 10% says little about it
 * at 50% (more load, other users), so the data gathered before the change is left out, and the judge's minimum
 * sample rules apply to what came after it.
 */
export function deriveAnalysisWindow(
  changes: readonly MetricsSnapshot[],
  current: MetricsSnapshot,
): AnalysisWindow | null {
  const last = changes.at(-1);
  if (last === undefined) return null;
  return {
    canary: deriveWindow(last.canary, current.canary),
    stable: deriveWindow(last.stable, current.stable),
  };
}
