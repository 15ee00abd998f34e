import { describe, expect, it } from 'vitest';
import type { StepView } from '../server/api-types.js';
import { applyStepEvent, deriveTimeline, elapsedMs } from './timeline.js';

let next = 0;
function step(stage: string, status: StepView['status'], extra: Partial<StepView> = {}): StepView {
  const index = next++;
  return {
    index,
    stage,
    phase: 'deploy',
    kind: 'start-target',
    title: `step ${index}`,
    host: 'local',
    status,
    startedAtMs: status === 'pending' ? null : 1000 * index,
    finishedAtMs: status === 'pending' || status === 'running' ? null : 1000 * index + 500,
    error: null,
    note: null,
    ...extra,
  };
}

describe('deriveTimeline', () => {
  it('groups steps into stages in plan order, each with a state and its span', () => {
    next = 0;
    const steps = [
      step('prepare', 'succeeded'),
      step('prepare', 'succeeded'),
      step('start', 'running'),
      step('start', 'pending'),
      step('switch', 'pending'),
      step('switch back', 'pending', { phase: 'on-failure' }),
    ];
    const stages = deriveTimeline([...steps].reverse());
    expect(stages.map((s) => [s.name, s.phase, s.state, s.steps.length])).toEqual([
      ['prepare', 'deploy', 'succeeded', 2],
      ['start', 'deploy', 'running', 2],
      ['switch', 'deploy', 'pending', 1],
      ['switch back', 'on-failure', 'pending', 1],
    ]);
    expect(stages[0]).toMatchObject({ startedAtMs: 0, finishedAtMs: 1500 });
    expect(stages[1]).toMatchObject({ startedAtMs: 2000, finishedAtMs: null });
  });

  it.each<[StepView['status'][], string]>([
    [['succeeded', 'failed'], 'failed'],
    [['running', 'pending'], 'running'],
    [['succeeded', 'pending'], 'running'],
    [['succeeded', 'skipped'], 'succeeded'],
    [['skipped', 'skipped'], 'skipped'],
    [['pending', 'pending'], 'pending'],
  ])('a stage whose steps are %j is %s', (statuses, state) => {
    next = 0;
    expect(deriveTimeline(statuses.map((s) => step('only', s)))[0]?.state).toBe(state);
  });

  it('keeps two stages of the same name apart when another stage is between them', () => {
    next = 0;
    const stages = deriveTimeline([
      step('batch', 'succeeded'),
      step('check', 'succeeded'),
      step('batch', 'pending'),
    ]);
    expect(stages.map((s) => s.name)).toEqual(['batch', 'check', 'batch']);
  });
});

describe('applyStepEvent', () => {
  it("changes the step of this deployment's event and nothing else", () => {
    next = 0;
    const steps = [step('prepare', 'succeeded'), step('start', 'pending')];
    const event = {
      kind: 'step' as const,
      deploymentId: 'd1',
      environment: 'production',
      index: 1,
      status: 'running' as const,
      startedAtMs: 7000,
      finishedAtMs: null,
      error: null,
      note: 'waits for slipway promote',
    };
    const changed = applyStepEvent(steps, 'd1', event);
    expect(changed[1]).toMatchObject({
      status: 'running',
      startedAtMs: 7000,
      note: 'waits for slipway promote',
    });
    expect(changed[0]).toEqual(steps[0]);
    expect(applyStepEvent(steps, 'd2', event)).toEqual(steps);
  });
});

describe('elapsedMs', () => {
  it('is the span of a finished step, the time so far of a running one, null before it starts', () => {
    expect(elapsedMs({ startedAtMs: 1000, finishedAtMs: 4000 }, 9000)).toBe(3000);
    expect(elapsedMs({ startedAtMs: 1000, finishedAtMs: null }, 9000)).toBe(8000);
    expect(elapsedMs({ startedAtMs: null, finishedAtMs: null }, 9000)).toBeNull();
  });
});
