import { describe, expect, it } from 'vitest';
import { describePlan } from './describe-plan.js';
import { planDeploy } from './plan-deploy.js';
import type { DeployInput, HostObservation } from './plan-input.js';
import type { Stage } from './steps.js';
import { deployInput, releaseRuntime, ROLLING_ONE_BY_ONE, servingHost } from './test-fixtures.js';
import type { PlannedProcess } from './worker-steps.js';

// Worker processes are plan steps: where their stages land, what they start and stop, and the way back.

const worker = (over: Partial<PlannedProcess> = {}): PlannedProcess => ({
  name: 'worker',
  command: 'node worker.js',
  instances: 2,
  stopTimeoutMs: 30_000,
  health: { settleMs: 2_000 },
  order: 'afterSwitch',
  ...over,
});

/** A host serving `release` with its web target and these worker instances (running, healthy). */
function hostWith(
  host: string,
  release: string,
  web: string,
  workers: Array<{ id: string; name: string; instance: number; health?: 'healthy' | 'unknown' }>,
): HostObservation {
  const serving = servingHost(host, release, web);
  return {
    ...serving,
    targets: [
      { ...serving.targets[0]!, health: 'healthy' },
      ...workers.map((w) => ({
        targetId: w.id,
        release,
        state: 'running',
        stopAtMs: null,
        health: w.health ?? ('healthy' as const),
        process: { name: w.name, instance: w.instance },
      })),
    ],
  };
}

const OLD_WORKERS = [
  { id: 'hello-1.0.0-old111-worker.1', name: 'worker', instance: 1 },
  { id: 'hello-1.0.0-old111-worker.2', name: 'worker', instance: 2 },
];

const withWorkers = (over: Partial<DeployInput> = {}): DeployInput =>
  deployInput({
    release: releaseRuntime('2.0.0', { processes: [worker()] }),
    previousRelease: releaseRuntime('1.0.0', { processes: [worker()] }),
    observed: [hostWith('local', '1.0.0', 'hello-1.0.0-old111', OLD_WORKERS)],
    ...over,
  });

/** The index of the last stage that matches (Node 20's lib has no findLastIndex). */
const lastIndexOf = (stages: Stage[], match: (s: Stage) => boolean): number =>
  stages.reduce((last, s, i) => (match(s) ? i : last), -1);

/** Each stage as `name: kind target, …`. */
const outline = (stages: Stage[]): string[] =>
  stages.map(
    (s) =>
      `${s.name}: ${s.steps.map((step) => `${step.kind}${'targetId' in step ? ` ${step.targetId}` : ''}`).join(', ')}`,
  );
const names = (stages: Stage[]): string[] => stages.map((s) => s.name);

describe('worker stages in a deploy', () => {
  it('after the switch by default: start the new instances, check them, then stop the old ones', () => {
    const plan = planDeploy(withWorkers());
    expect(names(plan.stages)).toEqual([
      'prepare',
      'start',
      'verify',
      'switch',
      'workers: start',
      'workers: check',
      'workers: stop old',
      'keep warm',
      'clean up',
    ]);
    expect(outline(plan.stages.slice(4, 7))).toEqual([
      'workers: start: start-worker hello-2.0.0-abc123-worker.1, start-worker hello-2.0.0-abc123-worker.2',
      'workers: check: wait-worker hello-2.0.0-abc123-worker.1, wait-worker hello-2.0.0-abc123-worker.2',
      'workers: stop old: stop-worker hello-1.0.0-old111-worker.1, stop-worker hello-1.0.0-old111-worker.2',
    ]);
    const start = plan.stages[4]!.steps[0]!;
    expect(start).toMatchObject({
      kind: 'start-worker',
      release: '2.0.0',
      process: { name: 'worker', instance: 1 },
      command: 'node worker.js',
      stopTimeoutMs: 30_000,
    });
    expect(plan.stages[5]!.steps[0]).toMatchObject({ check: { settleMs: 2_000 } });
  });

  it('before the switch with order beforeSwitch, and both points when processes differ', () => {
    const both = [worker({ name: 'mailer', instances: 1, order: 'beforeSwitch' }), worker()];
    const plan = planDeploy(withWorkers({ release: releaseRuntime('2.0.0', { processes: both }) }));
    expect(names(plan.stages)).toEqual([
      'prepare',
      'start',
      'verify',
      'workers before switch: start',
      'workers before switch: check',
      'switch',
      'workers: start',
      'workers: check',
      'workers: stop old',
      'keep warm',
      'clean up',
    ]);
    expect(outline(plan.stages.slice(3, 4))).toEqual([
      'workers before switch: start: start-worker hello-2.0.0-abc123-mailer.1',
    ]);
  });

  it('stops the old instances of a process the release no longer has, after the switch', () => {
    const plan = planDeploy(withWorkers({ release: releaseRuntime('2.0.0') }));
    expect(outline(plan.stages.filter((s) => s.name.startsWith('workers')))).toEqual([
      'workers: stop old: stop-worker hello-1.0.0-old111-worker.1, stop-worker hello-1.0.0-old111-worker.2',
    ]);
  });

  it('on failure: the old instances started again under their ids, checked, and the new ones stopped', () => {
    const plan = planDeploy(withWorkers());
    expect(outline(plan.onFailure)).toEqual([
      'switch back: switch-traffic hello-1.0.0-old111',
      'stop new: stop-target hello-2.0.0-abc123',
      'workers back: start: start-worker hello-1.0.0-old111-worker.1, start-worker hello-1.0.0-old111-worker.2',
      'workers back: check: wait-worker hello-1.0.0-old111-worker.1, wait-worker hello-1.0.0-old111-worker.2',
      'workers back: stop old: stop-worker hello-2.0.0-abc123-worker.1, stop-worker hello-2.0.0-abc123-worker.2',
    ]);
    expect(plan.onFailure[2]!.steps[0]).toMatchObject({ release: '1.0.0', command: 'node worker.js' });
    // An old instance nothing stopped passes its check at once; the deploy's own checks never do.
    expect(plan.onFailure[3]!.steps.every((s) => s.kind === 'wait-worker' && s.acceptHealthy)).toBe(true);
    expect(plan.stages.flatMap((s) => s.steps).some((s) => s.kind === 'wait-worker' && s.acceptHealthy)).toBe(
      false,
    );
  });

  it('a first deploy starts the instances; its way back only stops them', () => {
    const plan = planDeploy(
      withWorkers({ previousRelease: null, observed: [{ host: 'local', active: null, targets: [] }] }),
    );
    expect(names(plan.stages)).toContain('workers: start');
    expect(names(plan.stages)).not.toContain('workers: stop old');
    expect(outline(plan.onFailure)).toEqual([
      'stop new: stop-target hello-2.0.0-abc123',
      'workers back: stop old: stop-worker hello-2.0.0-abc123-worker.1, stop-worker hello-2.0.0-abc123-worker.2',
    ]);
  });

  it('a host serving the release with healthy instances is left alone; a missing or unhealthy one is replaced', () => {
    const current = [
      { id: 'hello-2.0.0-cur222-worker.1', name: 'worker', instance: 1 },
      { id: 'hello-2.0.0-cur222-worker.2', name: 'worker', instance: 2, health: 'unknown' as const },
    ];
    const plan = planDeploy(
      withWorkers({ observed: [hostWith('local', '2.0.0', 'hello-2.0.0-cur222', current)] }),
    );
    expect(plan.alreadyServing?.[0]?.decision.kind).toBe('left-as-is');
    expect(outline(plan.stages)).toEqual([
      'workers: start: start-worker hello-2.0.0-abc123-worker.2',
      'workers: check: wait-worker hello-2.0.0-abc123-worker.2',
      'workers: stop old: stop-worker hello-2.0.0-cur222-worker.2',
    ]);
    const healthy = planDeploy(
      withWorkers({
        observed: [
          hostWith('local', '2.0.0', 'hello-2.0.0-cur222', [
            current[0]!,
            { ...current[1]!, health: 'healthy' },
          ]),
        ],
      }),
    );
    expect(healthy.stages).toEqual([]);
  });

  it('a secret rotation starts every instance again', () => {
    const current = OLD_WORKERS.map((w) => ({ ...w, id: w.id.replace('1.0.0-old111', '2.0.0-cur222') }));
    const plan = planDeploy(
      withWorkers({
        release: releaseRuntime('2.0.0', { processes: [worker()], secretNames: ['API_KEY'] }),
        observed: [hostWith('local', '2.0.0', 'hello-2.0.0-cur222', current)],
        rotation: { secrets: ['API_KEY'] },
      }),
    );
    expect(names(plan.stages)).toEqual(
      expect.arrayContaining(['workers: start', 'workers: check', 'workers: stop old']),
    );
  });

  it('rolls after the last batch of a rolling update, on every host', () => {
    const hosts = ['a', 'b'];
    const plan = planDeploy(
      withWorkers({
        hosts,
        strategy: ROLLING_ONE_BY_ONE,
        observed: hosts.map((h) => hostWith(h, '1.0.0', `hello-1.0.0-${h}`, [])),
      }),
    );
    const at = names(plan.stages).indexOf('workers: start');
    const lastBatch = lastIndexOf(plan.stages, (s) => s.batch !== undefined);
    expect(at).toBeGreaterThan(lastBatch);
    expect(plan.stages[at]!.steps.map((s) => s.host)).toEqual(['a', 'a', 'b', 'b']);
  });

  it('runs a process with roles only on the hosts with one of them; its instances elsewhere are stopped', () => {
    const plan = planDeploy(
      withWorkers({
        hosts: ['a', 'b'],
        hostRoles: { a: ['jobs', 'web'], b: ['web'] },
        release: releaseRuntime('2.0.0', { processes: [worker({ instances: 1, roles: ['jobs'] })] }),
        observed: [
          hostWith('a', '1.0.0', 'hello-1.0.0-a', []),
          hostWith('b', '1.0.0', 'hello-1.0.0-b', [
            { id: 'hello-1.0.0-b-worker.1', name: 'worker', instance: 1 },
          ]),
        ],
      }),
    );
    expect(outline(plan.stages.filter((s) => s.name.startsWith('workers')))).toEqual([
      'workers: start: start-worker hello-2.0.0-abc123-worker.1',
      'workers: check: wait-worker hello-2.0.0-abc123-worker.1',
      'workers: stop old: stop-worker hello-1.0.0-b-worker.1',
    ]);
    expect(plan.stages.find((s) => s.name === 'workers: start')?.steps[0]?.host).toBe('a');
  });

  it('after a canary promotion', () => {
    const plan = planDeploy(
      withWorkers({
        strategy: {
          kind: 'canary',
          steps: [{ setWeight: 20 }, { pauseMs: 1000 }],
          analysis: {
            intervalMs: 500,
            minRequests: 1,
            confidence: 0.99,
            maxErrorRate: 0.05,
            errorRateTolerance: 0.01,
            maxP99Ms: null,
            latencyTolerance: 0.2,
            latencyMinDifferenceMs: 10,
            probe: null,
            checks: [],
          },
          header: 'X-Canary',
          cookie: 'c',
          keepWarmMs: 1000,
          drainTimeoutMs: 1000,
        },
      }),
    );
    const list = names(plan.stages);
    expect(list.indexOf('workers: start')).toBeGreaterThan(
      lastIndexOf(plan.stages, (s) => s.steps.some((step) => step.kind === 'switch-traffic')),
    );
  });
});

describe('worker stages in a rollback', () => {
  it("starts the previous release's instances and stops the failed release's", () => {
    const failed = [
      { id: 'hello-2.0.0-new222-worker.1', name: 'worker', instance: 1 },
      { id: 'hello-2.0.0-new222-worker.2', name: 'worker', instance: 2 },
    ];
    const plan = planDeploy(
      deployInput({
        kind: 'rollback',
        deploymentId: 'drollback0def456',
        release: releaseRuntime('1.0.0', { processes: [worker({ instances: 1 })] }),
        previousRelease: releaseRuntime('2.0.0', { processes: [worker()] }),
        observed: [hostWith('local', '2.0.0', 'hello-2.0.0-new222', failed)],
      }),
    );
    expect(outline(plan.stages.filter((s) => s.name.startsWith('workers')))).toEqual([
      'workers: start: start-worker hello-1.0.0-def456-worker.1',
      'workers: check: wait-worker hello-1.0.0-def456-worker.1',
      'workers: stop old: stop-worker hello-2.0.0-new222-worker.1, stop-worker hello-2.0.0-new222-worker.2',
    ]);
  });
});

describe('the plan text', () => {
  it('says what each worker step does', () => {
    const text = describePlan(
      planDeploy(
        withWorkers({
          release: releaseRuntime('2.0.0', {
            processes: [
              worker({ instances: 1, health: { settleMs: 1000, command: './ready.sh', timeoutMs: 5000 } }),
            ],
          }),
        }),
      ),
    );
    expect(text).toContain(
      'start worker worker 1 (hello-2.0.0-abc123-worker.1, 2.0.0) on local: node worker.js',
    );
    expect(text).toContain(
      'check worker worker 1 (hello-2.0.0-abc123-worker.1, 2.0.0) on local: stays up 1s, then `./ready.sh` passes within 5s',
    );
    expect(text).toContain(
      'stop worker worker 1 (hello-1.0.0-old111-worker.1, 1.0.0) on local: SIGTERM, up to 30s to finish its job, then SIGKILL',
    );
  });
});
