import { describe, expect, it } from 'vitest';
import { describePlan } from './describe-plan.js';
import { planDeploy, type DeployInput, type HostObservation, type ReleaseRuntime } from './plan-deploy.js';
import { chooseRollbackRelease } from './choose-rollback.js';
import { deployInput, releaseRuntime } from './test-fixtures.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

function release(version: string, overrides: Partial<ReleaseRuntime> = {}): ReleaseRuntime {
  return releaseRuntime(version, { env: { GREETING: 'hi' }, secretNames: ['DB_PASSWORD'], ...overrides });
}

function input(overrides: Partial<DeployInput> = {}): DeployInput {
  return deployInput({
    release: release('2.0.0'),
    previousRelease: release('1.0.0'),
    nowMs: NOW,
    ...overrides,
  });
}

function serving(version: string, targetId: string, extra: HostObservation['targets'] = []): HostObservation {
  return {
    host: 'local',
    active: { targetId, release: version },
    targets: [{ targetId, release: version, state: 'running', stopAtMs: null }, ...extra],
  };
}

const kinds = (stages: { steps: { kind: string }[] }[]) =>
  stages.map((s) => s.steps.map((step) => step.kind));

describe('planDeploy', () => {
  it('plans a first blue-green deploy with nothing to restore', () => {
    const plan = planDeploy(
      input({ previousRelease: null, observed: [{ host: 'local', active: null, targets: [] }] }),
    );
    expect(plan.previous).toBeNull();
    expect(plan.stages.map((s) => s.name)).toEqual(['prepare', 'start', 'verify', 'switch', 'clean up']);
    expect(plan.onFailure.map((s) => s.name)).toEqual(['stop new']);
    expect(plan.rollback).toBeNull();
  });

  it('plans blue-green: start beside the old, verify, switch, keep the old warm', () => {
    const plan = planDeploy(input());
    expect(kinds(plan.stages)).toEqual([
      ['install-release', 'ensure-route'],
      ['start-target'],
      ['wait-healthy'],
      ['switch-traffic'],
      ['retire-target'],
      ['prune-releases'],
    ]);
    const retire = plan.stages[4]?.steps[0];
    expect(retire).toMatchObject({ kind: 'retire-target', targetId: 'hello-1.0.0-old111', afterMs: 300_000 });
    expect(plan.onFailure.map((s) => s.name)).toEqual(['switch back', 'stop new']);
    expect(plan.rollback?.toRelease).toBe('1.0.0');
    expect(plan.rollback?.warm?.stages.map((s) => s.steps.map((x) => x.kind))).toEqual([
      ['switch-traffic'],
      ['retire-target'],
    ]);
    expect(describePlan(plan)).toMatchSnapshot();
  });

  it('never puts secret values in a plan, only names', () => {
    const plan = planDeploy(input());
    const start = plan.stages.flatMap((s) => s.steps).find((s) => s.kind === 'start-target');
    expect(start).toMatchObject({ secretNames: ['DB_PASSWORD'] });
    expect(JSON.stringify(plan)).not.toContain('secretEnv');
  });

  it('reuses a warm target of the release: a rollback is only a switch', () => {
    const observed = serving('2.0.0', 'hello-2.0.0-new222', [
      {
        targetId: 'hello-1.0.0-old111',
        release: '1.0.0',
        state: 'running',
        health: 'healthy',
        stopAtMs: NOW + 60_000,
      },
    ]);
    const plan = planDeploy(
      input({
        kind: 'rollback',
        release: release('1.0.0'),
        previousRelease: release('2.0.0'),
        observed: [observed],
      }),
    );
    expect(kinds(plan.stages)).toEqual([
      ['ensure-route'],
      ['switch-traffic'],
      ['retire-target'],
      ['prune-releases'],
    ]);
    expect(plan.stages[1]?.steps[0]).toMatchObject({ targetId: 'hello-1.0.0-old111' });
    expect(plan.stages[2]?.steps[0]).toMatchObject({ targetId: 'hello-2.0.0-new222' });
    // A warm target is never stopped on failure: it was serving users a moment ago.
    expect(plan.onFailure.flatMap((s) => s.steps).filter((s) => s.kind === 'stop-target')).toEqual([]);
  });

  it('plans a cold rollback when the old release is no longer running', () => {
    const plan = planDeploy(
      input({
        kind: 'rollback',
        release: release('1.0.0'),
        previousRelease: release('2.0.0'),
        observed: [serving('2.0.0', 'hello-2.0.0-new222')],
      }),
    );
    expect(kinds(plan.stages)[0]).toEqual(['install-release', 'ensure-route']);
    expect(kinds(plan.stages)).toContainEqual(['start-target']);
  });

  it('plans recreate: stop the old first, restart it on failure', () => {
    const plan = planDeploy(input({ strategy: { kind: 'recreate', drainTimeoutMs: 5000 } }));
    expect(plan.stages.map((s) => s.name)).toEqual([
      'prepare',
      'stop old',
      'start',
      'verify',
      'switch',
      'clean up',
    ]);
    expect(plan.onFailure.map((s) => s.name)).toEqual([
      'stop new',
      'restart previous',
      'verify previous',
      'switch back',
    ]);
    expect(plan.rollback?.warm).toBeNull();
    expect(describePlan(plan)).toMatchSnapshot();
  });

  it('is deterministic: same input, same plan', () => {
    expect(planDeploy(input())).toEqual(planDeploy(input()));
  });
});

describe('chooseRollbackRelease', () => {
  it.each([
    { history: ['2.0.0', '1.0.0'], current: '2.0.0', expected: '1.0.0' },
    { history: ['1.0.0', '2.0.0', '1.0.0'], current: '1.0.0', expected: '2.0.0' },
    { history: ['2.0.0', '2.0.0', '1.0.0'], current: '2.0.0', expected: '1.0.0' },
    { history: ['1.0.0'], current: '1.0.0', expected: undefined },
    { history: [], current: null, expected: undefined },
    { history: ['3.0.0', '2.0.0'], current: null, expected: '2.0.0' },
  ])('history $history, current $current → $expected', ({ history, current, expected }) => {
    expect(chooseRollbackRelease(history, current)).toBe(expected);
  });
});

describe('planDeploy with an approval gate', () => {
  const approval = {
    required: [{ role: 'approver', count: 2 }],
    allowSelfApproval: false,
    expiresAfter: '1h',
  };

  it('waits for the approvals in a first stage, before anything is installed', () => {
    const plan = planDeploy(input({ approval }));
    expect(plan.stages.map((s) => s.name)).toEqual([
      'approval',
      'prepare',
      'start',
      'verify',
      'switch',
      'keep warm',
      'clean up',
    ]);
    expect(plan.stages[0]?.steps).toEqual([
      {
        kind: 'await-approval',
        host: 'control-plane',
        subject: 'deploy of 2.0.0 to production',
        requirements: [{ role: 'approver', count: 2 }],
        allowSelfApproval: false,
        expiresAfterMs: 3_600_000,
      },
    ]);
    expect(describePlan(plan)).toContain(
      'wait for approval of the deploy of 2.0.0 to production by 2 approvers, not by the person who deploys; approvals count for 1h',
    );
  });

  it('never makes a rollback wait', () => {
    const plan = planDeploy(input({ approval, kind: 'rollback' }));
    expect(kinds(plan.stages).flat()).not.toContain('await-approval');
  });
});
