import type { ServerEvent, StepView } from '../server/api-types.js';

/**
 * A deployment's plan as the timeline the deployment page draws: stages in plan order (the deploy stages, then
 * the on-failure stages that ran or may run), each with its steps and a state summarising them. Pure.
 */
export type StageState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface TimelineStage {
  name: string;
  phase: StepView['phase'];
  state: StageState;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  steps: StepView[];
}

export function deriveTimeline(steps: readonly StepView[]): TimelineStage[] {
  const stages: TimelineStage[] = [];
  for (const step of [...steps].sort((a, b) => a.index - b.index)) {
    let stage = stages.at(-1);
    if (!stage || stage.name !== step.stage || stage.phase !== step.phase) {
      stage = {
        name: step.stage,
        phase: step.phase,
        state: 'pending',
        startedAtMs: null,
        finishedAtMs: null,
        steps: [],
      };
      stages.push(stage);
    }
    stage.steps.push(step);
  }
  for (const stage of stages) summarise(stage);
  return stages;
}

function summarise(stage: TimelineStage): void {
  const statuses = stage.steps.map((s) => s.status);
  stage.state = statuses.includes('failed')
    ? 'failed'
    : statuses.includes('running')
      ? 'running'
      : statuses.every((s) => s === 'skipped')
        ? 'skipped'
        : statuses.every((s) => s === 'succeeded' || s === 'skipped')
          ? 'succeeded'
          : statuses.some((s) => s !== 'pending')
            ? 'running'
            : 'pending';
  const starts = stage.steps.flatMap((s) => (s.startedAtMs === null ? [] : [s.startedAtMs]));
  stage.startedAtMs = starts.length ? Math.min(...starts) : null;
  const ends = stage.steps.flatMap((s) => (s.finishedAtMs === null ? [] : [s.finishedAtMs]));
  stage.finishedAtMs =
    stage.state === 'succeeded' || stage.state === 'failed' || stage.state === 'skipped'
      ? ends.length
        ? Math.max(...ends)
        : null
      : null;
}

type StepEvent = Extract<ServerEvent, { kind: 'step' }>;

/** The steps with one step's new state from an SSE `step` event; events of other deployments change nothing. */
export function applyStepEvent(
  steps: readonly StepView[],
  deploymentId: string,
  event: StepEvent,
): StepView[] {
  if (event.deploymentId !== deploymentId) return [...steps];
  return steps.map((s) =>
    s.index === event.index
      ? {
          ...s,
          status: event.status,
          startedAtMs: event.startedAtMs,
          finishedAtMs: event.finishedAtMs,
          error: event.error,
          note: event.note,
        }
      : s,
  );
}

/** How long a step or stage took, or has been running (`nowMs`); null before it started. */
export function elapsedMs(
  item: { startedAtMs: number | null; finishedAtMs: number | null },
  nowMs: number,
): number | null {
  if (item.startedAtMs === null) return null;
  return Math.max(0, (item.finishedAtMs ?? nowMs) - item.startedAtMs);
}
