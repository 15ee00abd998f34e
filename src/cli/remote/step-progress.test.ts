import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../executor/progress.js';
import { titleStep } from '../../plan/describe-step.js';
import { planDeploy } from '../../plan/plan-deploy.js';
import { deployInput } from '../../plan/test-fixtures.js';
import { catalogueSteps, StepProgress, type StepUpdate } from './step-progress.js';

const plan = planDeploy(deployInput());

const at = (index: number, status: StepUpdate['status'], extra: Partial<StepUpdate> = {}): StepUpdate => ({
  index,
  status,
  startedAtMs: status === 'pending' ? null : 1_000 * index,
  finishedAtMs: status === 'succeeded' || status === 'failed' ? 1_000 * index + 250 : null,
  error: null,
  ...extra,
});

/** Events as short strings: `stage prepare`, `start 0`, `ok 0 250ms`, `fail 2: boom`, `skip 1`. */
function brief(events: ProgressEvent[]): string[] {
  return events.map((e) => {
    switch (e.kind) {
      case 'stage-started':
        return `stage ${e.stage}${e.phase === 'on-failure' ? ' (on-failure)' : ''}`;
      case 'step-started':
        return `start ${e.index} ${titleStep(e.step)}`;
      case 'step-succeeded':
        return `ok ${e.index} ${e.durationMs}ms`;
      case 'step-failed':
        return `fail ${e.index}: ${e.error}`;
      case 'step-skipped':
        return `skip ${e.index}: ${e.reason}`;
      case 'step-note':
        return `note ${e.index}: ${e.detail}`;
      case 'finished':
        return `finished ${e.outcome}`;
    }
  });
}

describe('catalogueSteps', () => {
  it('numbers the plan as the executor does: stages from 0, on-failure stages from 1000', () => {
    const known = catalogueSteps(plan, []);
    const flat = plan.stages.flatMap((s) => s.steps.map((step) => ({ stage: s.name, step })));
    expect([...known.values()].filter((k) => k.phase === 'deploy')).toEqual(
      flat.map((f, index) => ({ index, stage: f.stage, phase: 'deploy', step: f.step })),
    );
    const firstRecovery = plan.onFailure[0]?.steps[0];
    expect(known.get(1000)).toEqual({
      index: 1000,
      stage: plan.onFailure[0]?.name,
      phase: 'on-failure',
      step: firstRecovery,
    });
  });

  it("places a rolling batch's recovery steps (numbered as they run) by kind, host and title", () => {
    const putBack = plan.onFailure[0]!.steps[0]!;
    const rolling = {
      ...plan,
      batches: {
        failureBudget: 0,
        onBatchFailure: 'rollback-batch' as const,
        recover: { 1: [{ name: 'put batch 1 back', steps: [putBack] }] },
      },
    };
    const label = { index: 2000, stage: 'recovery', phase: 'on-failure' as const };
    const view = { ...label, kind: putBack.kind, host: putBack.host };
    const known = catalogueSteps(rolling, [{ ...view, title: titleStep(putBack) }]);
    expect(known.get(2000)).toEqual({ ...label, step: putBack });
    const unknown = catalogueSteps(rolling, [{ ...view, title: 'something else' }]);
    expect(unknown.has(2000)).toBe(false);
  });
});

describe('StepProgress', () => {
  it('reports each transition once, a stage when its first step shows up, and ignores pending steps', () => {
    const progress = new StepProgress(catalogueSteps(plan, []));
    expect(brief(progress.apply([at(1, 'running'), at(0, 'running'), at(2, 'pending')]))).toEqual([
      'stage prepare',
      'start 0 install 2.0.0',
      'start 1 router :8420',
    ]);
    expect(brief(progress.apply([at(0, 'succeeded'), at(1, 'running')]))).toEqual(['ok 0 250ms']);
    // The same snapshot again (after a reconnect) reports nothing new.
    expect(brief(progress.apply([at(0, 'succeeded'), at(1, 'running')]))).toEqual([]);
    // A step first seen finished is started and finished at once, so the renderer has its row.
    expect(brief(progress.apply([at(1, 'succeeded'), at(2, 'succeeded')]))).toEqual([
      'ok 1 250ms',
      'stage start',
      'start 2 start 2.0.0',
      'ok 2 250ms',
    ]);
    // A stale "running" after "succeeded" (an event older than the snapshot) changes nothing.
    expect(progress.apply([at(2, 'running')])).toEqual([]);
  });

  it('reports a failure with its error, then the on-failure stage; skipped steps with their reason', () => {
    const progress = new StepProgress(catalogueSteps(plan, []));
    progress.apply([at(0, 'succeeded'), at(1, 'succeeded')]);
    expect(
      brief(
        progress.apply([
          at(2, 'failed', { error: 'exited with code 1' }),
          at(1000, 'running'),
          at(3, 'skipped', { error: 'done before the interruption' }),
        ]),
      ),
    ).toEqual([
      'stage start',
      'start 2 start 2.0.0',
      'fail 2: exited with code 1',
      'stage verify',
      'skip 3: done before the interruption',
      `stage ${plan.onFailure[0]?.name ?? ''} (on-failure)`,
      `start 1000 ${titleStep(plan.onFailure[0]!.steps[0]!)}`,
    ]);
  });

  it("shows a running step's note (the promotion gate's reason to wait) when it first appears and when it changes", () => {
    const progress = new StepProgress(catalogueSteps(plan, []));
    expect(
      brief(progress.apply([at(0, 'running', { note: 'verdict inconclusive; waits for promote' })])),
    ).toEqual(['stage prepare', 'start 0 install 2.0.0', 'note 0: verdict inconclusive; waits for promote']);
    expect(progress.apply([at(0, 'running', { note: 'verdict inconclusive; waits for promote' })])).toEqual(
      [],
    );
    expect(brief(progress.apply([at(0, 'running', { note: 'verdict failed' }), at(1, 'running')]))).toEqual([
      'note 0: verdict failed',
      'start 1 router :8420',
    ]);
    // A finished step's note is not news; a server older than the CLI sends none.
    expect(
      brief(progress.apply([at(0, 'succeeded', { note: 'stale' }), at(1, 'running', { note: null })])),
    ).toEqual(['ok 0 250ms']);
  });

  it('skips steps it cannot place until the catalogue knows them', () => {
    const progress = new StepProgress(catalogueSteps(plan, []));
    expect(progress.isKnown(2500)).toBe(false);
    expect(progress.apply([at(2500, 'running')])).toEqual([]);
  });
});
