import { describe, expect, it } from 'vitest';
import { planDeploy } from './plan-deploy.js';
import type { HostObservation } from './plan-input.js';
import { deployInput, releaseRuntime } from './test-fixtures.js';

type Target = HostObservation['targets'][number];

const LEFT = 'hello-2.0.0-left01';

/** 1.0.0 serves; another target of 2.0.0 (the release being deployed) runs beside it. */
function withOther(other: Partial<Target>, routed: string[] = []): HostObservation {
  return {
    host: 'local',
    active: { targetId: 'hello-1.0.0-old111', release: '1.0.0' },
    ...(routed.length > 0 ? { routed } : {}),
    targets: [
      {
        targetId: 'hello-1.0.0-old111',
        release: '1.0.0',
        state: 'running',
        health: 'healthy',
        stopAtMs: null,
      },
      { targetId: LEFT, release: '2.0.0', state: 'running', health: 'healthy', stopAtMs: null, ...other },
    ],
  };
}

function planWith(observed: HostObservation) {
  const plan = planDeploy(deployInput({ observed: [observed] }));
  const steps = plan.stages.flatMap((s) => s.steps);
  const switched = steps.find((s) => s.kind === 'switch-traffic');
  return {
    reuses: switched?.kind === 'switch-traffic' && switched.targetId === LEFT,
    verifies: steps.some((s) => s.kind === 'wait-healthy'),
    stopsIt: steps.some((s) => s.kind === 'stop-target' && s.targetId === LEFT),
    firstStage: plan.stages[0]?.steps.map((s) => s.kind) ?? [],
  };
}

describe('which running target of the release gets traffic without a health check', () => {
  // (the other target of 2.0.0 → reused unchecked?, stopped as a leftover?)
  const table: Array<[string, Partial<Target>, string[], boolean, boolean]> = [
    ['kept warm by a deployment that switched away from it, healthy', { stopAtMs: 1 }, [], true, false],
    ['kept warm but crashed since (health unknown)', { stopAtMs: 1, health: 'unknown' }, [], false, false],
    ['kept warm but its health check failed', { stopAtMs: 1, health: 'unhealthy' }, [], false, false],
    ['kept warm, health not reported (an older agent)', { stopAtMs: 1, health: undefined }, [], false, false],
    ['left by a deployment killed during its health check', { health: 'unknown' }, [], false, true],
    ['left by a deployment whose health check had failed', { health: 'unhealthy' }, [], false, true],
    ['left by a deployment killed after its health check, before the switch', {}, [], false, true],
    ['left restarting (backoff) by an interrupted deployment', { state: 'backoff' }, [], false, true],
    ['a canary with a share of users (an interrupted canary)', { health: 'unknown' }, [LEFT], false, false],
  ];
  it.each(table)('%s', (_what, other, routed, reused, stopped) => {
    const plan = planWith(withOther(other, routed));
    expect(plan.reuses).toBe(reused);
    // What is not reused is started afresh and health-checked before any switch.
    expect(plan.verifies).toBe(!reused);
    expect(plan.stopsIt).toBe(stopped);
  });

  it('stops the leftovers in the first stage, before anything is started, and never the serving target', () => {
    const plan = planWith(withOther({ health: 'unknown' }));
    expect(plan.firstStage).toEqual(['stop-target', 'install-release', 'ensure-route']);
    const steps = planDeploy(deployInput({ observed: [withOther({ health: 'unknown' })] })).stages.flatMap(
      (s) => s.steps,
    );
    expect(steps.filter((s) => s.kind === 'stop-target').map((s) => s.targetId)).toEqual([LEFT]);
  });

  it('a rollback to a release whose only other target was left by an interrupted deployment starts it afresh', () => {
    const observed: HostObservation = {
      host: 'local',
      active: { targetId: 'hello-2.0.0-new222', release: '2.0.0' },
      targets: [
        {
          targetId: 'hello-2.0.0-new222',
          release: '2.0.0',
          state: 'running',
          health: 'healthy',
          stopAtMs: null,
        },
        {
          targetId: 'hello-1.0.0-left01',
          release: '1.0.0',
          state: 'running',
          health: 'unknown',
          stopAtMs: null,
        },
      ],
    };
    const plan = planDeploy(
      deployInput({
        kind: 'rollback',
        release: releaseRuntime('1.0.0'),
        previousRelease: releaseRuntime('2.0.0'),
        observed: [observed],
      }),
    );
    const steps = plan.stages.flatMap((s) => s.steps);
    expect(steps.find((s) => s.kind === 'switch-traffic')?.targetId).not.toBe('hello-1.0.0-left01');
    expect(steps.some((s) => s.kind === 'wait-healthy')).toBe(true);
    expect(steps.some((s) => s.kind === 'stop-target' && s.targetId === 'hello-1.0.0-left01')).toBe(true);
  });
});
