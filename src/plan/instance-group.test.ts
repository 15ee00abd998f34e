import { describe, expect, it } from 'vitest';
import { deriveAlreadyServing } from './already-serving.js';
import { describePlan } from './describe-plan.js';
import { deriveInstanceIds, instanceBaseOf } from './instance-group.js';
import { planDeploy } from './plan-deploy.js';
import type { HostObservation } from './plan-input.js';
import type { Stage, Step } from './steps.js';
import { ROLLING_ONE_BY_ONE, deployInput, releaseRuntime } from './test-fixtures.js';

// Several instances per host (run.instances): N starts and health checks, one switch carrying the group, and
// every member of the old group retired (or stopped) as the single old target was.

const OLD = ['hello-1.0.0-old111-i1', 'hello-1.0.0-old111-i2', 'hello-1.0.0-old111-i3'];
const NEW = ['hello-2.0.0-abc123-i1', 'hello-2.0.0-abc123-i2', 'hello-2.0.0-abc123-i3'];

function servingGroup(host: string, release: string, ids: string[], stopAtMs: number | null = null) {
  return {
    host,
    active: { targetId: ids[0] ?? '', release, ...(ids.length > 1 ? { group: ids } : {}) },
    targets: ids.map((targetId) => ({
      targetId,
      release,
      state: 'running',
      health: 'healthy' as const,
      stopAtMs,
    })),
  } satisfies HostObservation;
}

const three = (version: string) => releaseRuntime(version, { instances: 3 });
const steps = (stages: Stage[], kind: Step['kind']) =>
  stages.flatMap((s) => s.steps).filter((s) => s.kind === kind);
const ids = (list: Step[]) => list.map((s) => ('targetId' in s ? s.targetId : ''));

describe('instance ids', () => {
  it.each([
    ['hello-2.0.0-abc123', 1, ['hello-2.0.0-abc123']],
    ['hello-2.0.0-abc123', undefined, ['hello-2.0.0-abc123']],
    ['hello-2.0.0-abc123', 3, NEW],
  ])('%s × %s', (base, n, expected) => {
    expect(deriveInstanceIds(base, n)).toEqual(expected);
  });

  it.each([
    ['hello-2.0.0-abc123-i12', 'hello-2.0.0-abc123'],
    ['hello-2.0.0-abc123', 'hello-2.0.0-abc123'],
    ['hello-2.0.0-i1-abc123', 'hello-2.0.0-i1-abc123'],
  ])('base of %s', (id, base) => {
    expect(instanceBaseOf(id)).toBe(base);
  });
});

describe('a blue/green deploy of three instances', () => {
  const plan = planDeploy(
    deployInput({
      release: three('2.0.0'),
      previousRelease: three('1.0.0'),
      observed: [servingGroup('local', '1.0.0', OLD)],
    }),
  );

  it('starts and checks each instance, then switches once to the whole group', () => {
    expect(ids(steps(plan.stages, 'start-target'))).toEqual(NEW);
    expect(ids(steps(plan.stages, 'wait-healthy'))).toEqual(NEW);
    const switches = steps(plan.stages, 'switch-traffic');
    expect(switches).toHaveLength(1);
    expect(switches[0]).toMatchObject({ targetId: NEW[0], group: NEW });
    const order = plan.stages.map((s) => s.name);
    expect(order.indexOf('verify')).toBeLessThan(order.indexOf('switch'));
  });

  it('keeps every old instance warm, and on failure switches back to the old group and stops the new', () => {
    expect(ids(steps(plan.stages, 'retire-target'))).toEqual(OLD);
    expect(steps(plan.onFailure, 'switch-traffic')).toEqual([
      expect.objectContaining({ targetId: OLD[0], group: OLD, release: '1.0.0' }),
    ]);
    expect(ids(steps(plan.onFailure, 'stop-target'))).toEqual(NEW);
  });

  it("previews a rollback: a switch to the warm group, or a cold start of three of the previous release's", () => {
    expect(plan.rollback?.warm?.stages[0]?.steps).toEqual([
      expect.objectContaining({ kind: 'switch-traffic', targetId: OLD[0], group: OLD }),
    ]);
    expect(ids(plan.rollback?.warm?.stages[1]?.steps ?? [])).toEqual(NEW);
    expect(ids(steps(plan.rollback?.cold ?? [], 'start-target'))).toEqual([
      'hello-1.0.0-<new>-i1',
      'hello-1.0.0-<new>-i2',
      'hello-1.0.0-<new>-i3',
    ]);
  });

  it('shows the group in the plan text', () => {
    expect(describePlan(plan)).toContain(`to 3 instances ${NEW.join(', ')} (2.0.0)`);
  });
});

describe('groups of other sizes and strategies', () => {
  it('one instance plans exactly as before: no suffix, no group', () => {
    const plan = planDeploy(deployInput());
    expect(ids(steps(plan.stages, 'start-target'))).toEqual(['hello-2.0.0-abc123']);
    expect(steps(plan.stages, 'switch-traffic')[0]).not.toHaveProperty('group');
  });

  it('going from one instance to three retires the one and switches to the three', () => {
    const plan = planDeploy(deployInput({ release: three('2.0.0') }));
    expect(ids(steps(plan.stages, 'start-target'))).toEqual(NEW);
    expect(ids(steps(plan.stages, 'retire-target'))).toEqual(['hello-1.0.0-old111']);
  });

  it('recreate stops every old instance first', () => {
    const plan = planDeploy(
      deployInput({
        strategy: { kind: 'recreate', drainTimeoutMs: 1000 },
        release: three('2.0.0'),
        observed: [servingGroup('local', '1.0.0', OLD)],
      }),
    );
    expect(ids(plan.stages.find((s) => s.name === 'stop old')?.steps ?? [])).toEqual(OLD);
  });

  it('a rolling update switches each host to its own group', () => {
    const plan = planDeploy(
      deployInput({
        hosts: ['a', 'b'],
        strategy: ROLLING_ONE_BY_ONE,
        release: three('2.0.0'),
        observed: [servingGroup('a', '1.0.0', OLD), servingGroup('b', '1.0.0', OLD)],
      }),
    );
    const switches = steps(plan.stages, 'switch-traffic');
    expect(switches.map((s) => [s.host, 'group' in s ? s.group : null])).toEqual([
      ['a', NEW],
      ['b', NEW],
    ]);
    expect(steps(plan.stages, 'start-target')).toHaveLength(6);
  });

  it('a rollback while the old group is warm reuses all three: a switch, nothing started', () => {
    const warm = servingGroup('local', '1.0.0', OLD, Date.UTC(2026, 10, 26, 13));
    const observed: HostObservation = {
      host: 'local',
      active: { targetId: NEW[0] ?? '', release: '2.0.0', group: NEW },
      targets: [...warm.targets, ...servingGroup('local', '2.0.0', NEW).targets],
    };
    const plan = planDeploy(
      deployInput({
        kind: 'rollback',
        release: three('1.0.0'),
        previousRelease: three('2.0.0'),
        observed: [observed],
      }),
    );
    expect(steps(plan.stages, 'start-target')).toEqual([]);
    expect(steps(plan.stages, 'switch-traffic')).toEqual([
      expect.objectContaining({ targetId: OLD[0], group: OLD }),
    ]);
  });

  it('a warm group that lost an instance is not reused', () => {
    const warm = servingGroup('local', '1.0.0', OLD.slice(0, 2), Date.UTC(2026, 10, 26, 13));
    const observed: HostObservation = {
      host: 'local',
      active: { targetId: NEW[0] ?? '', release: '2.0.0', group: NEW },
      targets: [...warm.targets, ...servingGroup('local', '2.0.0', NEW).targets],
    };
    const plan = planDeploy(deployInput({ kind: 'rollback', release: three('1.0.0'), observed: [observed] }));
    expect(steps(plan.stages, 'start-target')).toHaveLength(3);
  });
});

describe('a host serving the release already as a group', () => {
  it.each([
    ['every instance healthy', servingGroup('local', '2.0.0', NEW), 'left-as-is'],
    [
      'one instance crashed',
      {
        ...servingGroup('local', '2.0.0', NEW),
        targets: servingGroup('local', '2.0.0', NEW).targets.map((t, i) =>
          i === 1 ? { ...t, health: 'unhealthy' as const } : t,
        ),
      },
      'restart-not-healthy',
    ],
    [
      'fewer instances routed than the release runs',
      servingGroup('local', '2.0.0', NEW.slice(0, 2)),
      'restart-not-healthy',
    ],
  ])('%s', (_name, observed, decision) => {
    const serving = deriveAlreadyServing(deployInput({ release: three('2.0.0'), observed: [observed] }));
    expect(serving.map((s) => s.decision.kind)).toEqual([decision]);
  });
});
