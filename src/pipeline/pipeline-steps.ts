import type { Freeze } from './freezes.js';
import type { DeployWindow } from './windows.js';

/**
 * Wait until the deployment may start: not before `notBeforeMs` (`deploy --at`) and inside one of `windows`.
 * When the time comes, a freeze in force fails the step unless the deploy overrode it. Runs in the control plane.
 */
export interface AwaitWindowStep {
  kind: 'await-window';
  host: 'control-plane';
  notBeforeMs: number | null;
  windows: DeployWindow[];
  freezes: Freeze[];
  /** The deploy was started with `--override-freeze --reason …` (ledgered as `freeze.overridden`). */
  freezeOverridden: boolean;
}

/**
 * Watch the new release for `durationMs` after the switch: its targets must stay healthy and its router metrics
 * within the rules. A failure fails the step, so the plan's on-failure stages put the previous release back.
 */
export interface BakeStep {
  kind: 'bake';
  host: 'control-plane';
  app: string;
  release: string;
  /** The new release's target on each host (what the metrics and health are read from). */
  targets: Array<{ host: string; targetId: string }>;
  durationMs: number;
  intervalMs: number;
  maxErrorRate: number;
  maxP99Ms: number | null;
  minRequests: number;
  requireHealthy: boolean;
  /** Synthetic requests through the router on `publicPort`, so a quiet environment still gives samples. */
  probe: { ratePerSecond: number; path: string; publicPort: number } | null;
}
