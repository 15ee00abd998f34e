import { numberStages, ON_FAILURE_BASE_INDEX } from '../../executor/execute-plan.js';
import type { ProgressEvent } from '../../executor/progress.js';
import { titleStep } from '../../plan/describe-step.js';
import type { Plan, Step } from '../../plan/steps.js';
import type { StepView } from '../../server/api-types.js';
import type { StepStatus } from '../../store/index.js';

/** A step of the deployment as the renderer needs it: the plan's step, its stage and phase. */
export interface KnownStep {
  index: number;
  stage: string;
  phase: 'deploy' | 'on-failure';
  step: Step;
}

/** A step's state, from GET /deployments/:id (a StepView) or a `step` server event. */
export interface StepUpdate {
  index: number;
  status: StepStatus;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  error: string | null;
  /** What a running step waits for (absent from servers older than this CLI). */
  note?: string | null;
}

/** What the server says of a step besides its state (StepView), to place recovery steps in the plan. */
export type StepLabel = Pick<StepView, 'index' | 'stage' | 'phase' | 'kind' | 'title' | 'host'>;

/**
 * Finds each recorded step in the plan, pure. Steps of the plan proper are numbered from 0 in stage order, the
 * on-failure stages from ON_FAILURE_BASE_INDEX (as the executor numbers them); a rolling update's per-batch
 * recovery steps get fresh numbers as they run, so they are found by kind, host and title among the plan's
 * recovery stages.
 */
export function catalogueSteps(plan: Plan, labels: readonly StepLabel[]): Map<number, KnownStep> {
  const known = new Map<number, KnownStep>();
  const add = (stages: ReturnType<typeof numberStages>, phase: KnownStep['phase']): void => {
    for (const stage of stages)
      for (const { index, step } of stage.steps) known.set(index, { index, stage: stage.name, phase, step });
  };
  add(numberStages(plan.stages), 'deploy');
  add(numberStages(plan.onFailure, ON_FAILURE_BASE_INDEX), 'on-failure');
  const recovery = Object.values(plan.batches?.recover ?? {}).flatMap((stages) =>
    stages.flatMap((stage) => stage.steps.map((step) => ({ stage: stage.name, step }))),
  );
  for (const label of labels) {
    const planned = known.get(label.index);
    if (planned && planned.step.kind === label.kind && planned.step.host === label.host) continue;
    const match = recovery.find(
      (r) => r.step.kind === label.kind && r.step.host === label.host && titleStep(r.step) === label.title,
    );
    if (match)
      known.set(label.index, {
        index: label.index,
        stage: label.stage,
        phase: label.phase,
        step: match.step,
      });
  }
  return known;
}

/**
 * Turns step states (a snapshot, then live updates, possibly repeated after a reconnect) into the progress
 * events a local deploy reports, each transition once: stage-started when a step of a new stage shows up,
 * step-started, then step-succeeded / step-failed / step-skipped. A step first seen finished is reported as
 * started and finished, so the renderer shows its row.
 */
export class StepProgress {
  readonly #reported = new Map<number, StepStatus>();
  readonly #notes = new Map<number, string>();
  #stageKey: string | null = null;

  constructor(private known: Map<number, KnownStep>) {}

  /** The plan's steps grew (a recovery step the catalogue did not have yet). */
  setKnown(known: Map<number, KnownStep>): void {
    this.known = known;
  }

  isKnown(index: number): boolean {
    return this.known.has(index);
  }

  /** Events for these updates, in index order (a snapshot arrives unordered). */
  apply(updates: readonly StepUpdate[]): ProgressEvent[] {
    const events: ProgressEvent[] = [];
    for (const update of [...updates].sort((a, b) => a.index - b.index))
      events.push(...this.#applyOne(update));
    return events;
  }

  #applyOne(update: StepUpdate): ProgressEvent[] {
    const known = this.known.get(update.index);
    if (!known || update.status === 'pending') return [];
    const before = this.#reported.get(update.index);
    if (before === 'running' && update.status === 'running') return this.#noteOf(known, update);
    if (before === update.status || (before !== undefined && before !== 'running')) return [];
    this.#reported.set(update.index, update.status);
    const { index, step } = known;
    const events: ProgressEvent[] = [];
    const stageKey = `${known.phase}:${known.stage}`;
    if (stageKey !== this.#stageKey) {
      this.#stageKey = stageKey;
      events.push({ kind: 'stage-started', stage: known.stage, phase: known.phase });
    }
    if (update.status === 'skipped') {
      events.push({ kind: 'step-skipped', index, step, reason: update.error ?? 'skipped' });
      return events;
    }
    if (before === undefined) events.push({ kind: 'step-started', index, step });
    if (update.status === 'running') events.push(...this.#noteOf(known, update));
    const durationMs =
      update.startedAtMs !== null && update.finishedAtMs !== null
        ? Math.max(0, update.finishedAtMs - update.startedAtMs)
        : 0;
    if (update.status === 'succeeded') events.push({ kind: 'step-succeeded', index, step, durationMs });
    if (update.status === 'failed')
      events.push({ kind: 'step-failed', index, step, durationMs, error: update.error ?? 'failed' });
    return events;
  }

  /** A running step's new note (the promotion gate's reason to wait), once per change. */
  #noteOf(known: KnownStep, update: StepUpdate): ProgressEvent[] {
    const note = update.note ?? null;
    if (note === null || this.#notes.get(update.index) === note) return [];
    this.#notes.set(update.index, note);
    return [{ kind: 'step-note', index: known.index, step: known.step, detail: note }];
  }
}
