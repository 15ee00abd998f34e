import { parseDurationMs } from '../core/duration.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { Plan, Stage, Step } from '../plan/steps.js';

export interface PipelineStageOptions {
  /** `deploy --at`: the deployment does not start before this. */
  notBeforeMs: number | null;
  freezeOverridden: boolean;
}

/**
 * Adds an environment's gates and bake to a deploy plan. Pure.
 *
 * - With windows or a start time, the plan begins (after the approval stage, if any) with an `await-window`
 *   stage: the deploy waits in it, and a resumed deploy waits again.
 * - With `bake:`, a `bake` stage follows the switch and comes before the old release is retired, so that a
 *   failing bake switches back to a previous target that is still running.
 *
 * A rollback gets neither: putting users back on a good release is never held by a window or a bake.
 */
export function applyPipelineStages(plan: Plan, env: EnvironmentConfig, options: PipelineStageOptions): Plan {
  if (plan.kind !== 'deploy') return plan;
  let stages = plan.stages;
  if (env.windows.length > 0 || options.notBeforeMs !== null) {
    const wait: Step = {
      kind: 'await-window',
      host: 'control-plane',
      notBeforeMs: options.notBeforeMs,
      windows: env.windows.map((w) => ({ cron: w.cron, timezone: w.timezone })),
      freezes: env.freezes.map((f) => ({ name: f.name, from: f.from, to: f.to, timezone: f.timezone })),
      freezeOverridden: options.freezeOverridden,
    };
    // After the approval (which may take hours), so that the window is judged when the work would start.
    const approval = stages.findIndex((st) => st.steps.some((x) => x.kind === 'await-approval'));
    const at = approval + 1;
    stages = [...stages.slice(0, at), { name: 'await window', steps: [wait] }, ...stages.slice(at)];
  }
  if (env.bake) stages = insertBake(stages, plan, env.bake, env.publicPort);
  return { ...plan, stages };
}

function insertBake(
  stages: Stage[],
  plan: Plan,
  bake: NonNullable<EnvironmentConfig['bake']>,
  publicPort: number,
): Stage[] {
  const targets = stages.flatMap((s) =>
    s.steps.flatMap((step) =>
      step.kind === 'switch-traffic' && step.release === plan.release.version
        ? [{ host: step.host, targetId: step.targetId }]
        : [],
    ),
  );
  const step: Step = {
    kind: 'bake',
    host: 'control-plane',
    app: plan.app,
    release: plan.release.version,
    targets,
    durationMs: parseDurationMs(bake.duration) ?? 0,
    intervalMs: parseDurationMs(bake.interval) ?? 1000,
    maxErrorRate: bake.rules.maxErrorRate,
    maxP99Ms: bake.rules.maxP99 ? (parseDurationMs(bake.rules.maxP99) ?? null) : null,
    minRequests: bake.rules.minRequests,
    requireHealthy: bake.rules.healthy,
    probe: bake.probe ? { ...bake.probe, publicPort } : null,
  };
  // After the last stage that switches traffic to the new release; before keep-warm and clean-up.
  let at = stages.length;
  stages.forEach((s, i) => {
    if (s.steps.some((x) => x.kind === 'switch-traffic')) at = i + 1;
  });
  return [...stages.slice(0, at), { name: 'bake', steps: [step] }, ...stages.slice(at)];
}
