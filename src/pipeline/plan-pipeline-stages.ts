import { parseDurationMs } from '../core/duration.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { Stage } from '../plan/steps.js';

export interface PipelineStageOptions {
  /** `deploy --at`: the deployment does not start before this. */
  notBeforeMs: number | null;
  freezeOverridden: boolean;
}

/**
 * The `await window` stage of an environment with windows, or of a deploy given a start time; null otherwise.
 * The deploy waits in it, and a resumed deploy waits again; when the wait ends, the freezes are checked. Pure.
 */
export function planWindowStage(env: EnvironmentConfig, options: PipelineStageOptions): Stage | null {
  if (env.windows.length === 0 && options.notBeforeMs === null) return null;
  return {
    name: 'await window',
    steps: [
      {
        kind: 'await-window',
        host: 'control-plane',
        notBeforeMs: options.notBeforeMs,
        windows: env.windows.map((w) => ({ cron: w.cron, timezone: w.timezone })),
        freezes: env.freezes.map((f) => ({ name: f.name, from: f.from, to: f.to, timezone: f.timezone })),
        freezeOverridden: options.freezeOverridden,
      },
    ],
  };
}

/**
 * The `bake` stage of an environment with `bake:`, watching the targets the deployment switched to; null
 * otherwise. It runs after the switch and before the old release is retired, so that a failing bake switches
 * back to a previous target that is still running. Pure.
 */
export function planBakeStage(
  env: EnvironmentConfig,
  deployed: { app: string; release: string },
  targets: { host: string; targetId: string }[],
): Stage | null {
  const bake = env.bake;
  if (!bake) return null;
  return {
    name: 'bake',
    steps: [
      {
        kind: 'bake',
        host: 'control-plane',
        app: deployed.app,
        release: deployed.release,
        targets,
        durationMs: parseDurationMs(bake.duration) ?? 0,
        intervalMs: parseDurationMs(bake.interval) ?? 1000,
        maxErrorRate: bake.rules.maxErrorRate,
        maxP99Ms: bake.rules.maxP99 ? (parseDurationMs(bake.rules.maxP99) ?? null) : null,
        minRequests: bake.rules.minRequests,
        requireHealthy: bake.rules.healthy,
        probe: bake.probe ? { ...bake.probe, publicPort: env.publicPort } : null,
      },
    ],
  };
}
