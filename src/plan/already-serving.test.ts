import { describe, expect, it } from 'vitest';
import { deriveAlreadyServing } from './already-serving.js';
import { describePlan } from './describe-plan.js';
import { planDeploy, type DeployInput, type HostObservation, type PlannedStrategy } from './plan-deploy.js';
import type { AlreadyServingDecision } from './already-serving.js';
import type { Step } from './steps.js';
import { ROLLING_ONE_BY_ONE, analysisPlan, releaseRuntime } from './test-fixtures.js';

// A redeploy of the release that serves: hosts that run it healthily are left out of the plan; the others
// (not known to be healthy, or a release with secrets) start it again and stop the target they replace.

const HOSTS = ['web1', 'web2', 'web3'];
type Target = HostObservation['targets'][number];

function host(
  name: string,
  release: string,
  target: Partial<Target> = {},
  warm: Target[] = [],
): HostObservation {
  const targetId = `hello-${release}-${name}`;
  return {
    host: name,
    active: { targetId, release },
    targets: [{ targetId, release, state: 'running', health: 'healthy', stopAtMs: null, ...target }, ...warm],
  };
}

const ROLLING: PlannedStrategy = ROLLING_ONE_BY_ONE;

function input(observed: HostObservation[], overrides: Partial<DeployInput> = {}): DeployInput {
  return {
    app: 'hello',
    environment: 'production',
    kind: 'deploy',
    deploymentId: 'dredep0abc123',
    hosts: HOSTS,
    publicPort: 8420,
    bindAddress: '0.0.0.0',
    metricsPort: null,
    edge: {
      host: 'local',
      publicPort: 80,
      bindAddress: '0.0.0.0',
      upstreams: HOSTS.map((h, i) => ({ id: h, address: `10.0.0.${i + 10}`, port: 8420 })),
    },
    strategy: ROLLING,
    release: releaseRuntime('2.0.0'),
    previousRelease: releaseRuntime('1.0.0'),
    observed,
    retainReleases: 3,
    nowMs: 0,
    ...overrides,
  };
}

const stepsOn = (steps: Step[], name: string) =>
  steps.filter((s) => s.host === name || ('member' in s && s.member === name)).map((s) => s.kind);

describe('deriveAlreadyServing', () => {
  const cases: Array<{
    name: string;
    observed: HostObservation;
    secretNames?: string[];
    decision: AlreadyServingDecision | null;
  }> = [
    {
      name: 'serves another release',
      observed: host('web1', '1.0.0'),
      decision: null,
    },
    {
      name: 'serves it, running and healthy',
      observed: host('web1', '2.0.0'),
      decision: { kind: 'left-as-is' },
    },
    {
      name: 'serves it, health unknown (restarted after a crash)',
      observed: host('web1', '2.0.0', { health: 'unknown' }),
      decision: { kind: 'restart-not-healthy', state: 'running', health: 'unknown' },
    },
    {
      name: 'serves it, health not reported',
      observed: host('web1', '2.0.0', { health: undefined }),
      decision: { kind: 'restart-not-healthy', state: 'running', health: 'unknown' },
    },
    {
      name: 'serves it, in backoff after a crash',
      observed: host('web1', '2.0.0', { state: 'backoff', health: 'unknown' }),
      decision: { kind: 'restart-not-healthy', state: 'backoff', health: 'unknown' },
    },
    {
      name: 'serves it, unhealthy',
      observed: host('web1', '2.0.0', { health: 'unhealthy' }),
      decision: { kind: 'restart-not-healthy', state: 'running', health: 'unhealthy' },
    },
    {
      name: 'serves it healthily, but the release reads secrets',
      observed: host('web1', '2.0.0'),
      secretNames: ['DB_PASSWORD'],
      decision: { kind: 'restart-for-secrets', secretNames: ['DB_PASSWORD'] },
    },
    {
      name: 'serves nothing',
      observed: { host: 'web1', active: null, targets: [] },
      decision: null,
    },
  ];
  it.each(cases)('$name', ({ observed, secretNames, decision }) => {
    const serving = deriveAlreadyServing(
      input([observed], {
        hosts: ['web1'],
        release: releaseRuntime('2.0.0', { secretNames: secretNames ?? [] }),
      }),
    );
    expect(serving).toEqual(
      decision ? [{ host: 'web1', targetId: observed.active?.targetId, decision }] : [],
    );
  });
});

describe('planDeploy of the release that serves already', () => {
  it('leaves every healthy host as it is: no new target, nothing out of the edge, and says so', () => {
    const plan = planDeploy(input(HOSTS.map((h) => host(h, '2.0.0'))));
    expect(plan.stages).toEqual([]);
    expect(plan.alreadyServing?.map((s) => [s.host, s.decision.kind])).toEqual(
      HOSTS.map((h) => [h, 'left-as-is']),
    );
    expect(plan.previous).toEqual({ release: '2.0.0', targetId: 'hello-2.0.0-web1' });
    const text = describePlan(plan);
    expect(text).toContain(
      'web1, web2, web3 already serve 2.0.0 healthily: left as they are (no new target)',
    );
    expect(text).toContain('Nothing to change.');
  });

  it('rolls only the hosts that do not serve it yet, in their own batches', () => {
    const plan = planDeploy(input([host('web1', '2.0.0'), host('web2', '1.0.0'), host('web3', '1.0.0')]));
    const steps = plan.stages.flatMap((s) => s.steps);
    expect(stepsOn(steps, 'web1')).toEqual([]);
    expect(stepsOn(steps, 'web2')).toContain('start-target');
    expect(plan.stages.map((s) => s.name)).toContain('batch 2/2: switch');
    expect(plan.stages.map((s) => s.name)).not.toContain('batch 3/3: switch');
    // What serves now and the way back come from the hosts that change.
    expect(plan.previous?.release).toBe('1.0.0');
    expect(plan.rollback?.toRelease).toBe('1.0.0');
    expect(Object.keys(plan.batches?.recover ?? {})).toEqual(['1', '2']);
  });

  it('starts it again where it is not known to be healthy, and stops the target it replaces', () => {
    const warm: Target = {
      targetId: 'hello-2.0.0-older',
      release: '2.0.0',
      state: 'running',
      health: 'healthy',
      stopAtMs: 1,
    };
    const plan = planDeploy(
      input([
        host('web1', '2.0.0', { health: 'unknown' }, [warm]),
        host('web2', '2.0.0'),
        host('web3', '2.0.0'),
      ]),
    );
    const steps = plan.stages.flatMap((s) => s.steps);
    // A new target (not the warm one, which may be as old as the one it would replace).
    expect(steps.find((s) => s.kind === 'start-target')).toMatchObject({
      host: 'web1',
      targetId: 'hello-2.0.0-abc123',
    });
    expect(stepsOn(steps, 'web1')).toEqual([
      'install-release',
      'ensure-route',
      'set-edge-member',
      'start-target',
      'wait-healthy',
      'switch-traffic',
      'stop-target',
      'set-edge-member',
      'prune-releases',
    ]);
    expect(steps.filter((s) => s.kind === 'retire-target')).toEqual([]);
    expect(stepsOn(steps, 'web2')).toEqual([]);
    expect(describePlan(plan)).toContain(
      'web1 (target running, health unknown) serves 2.0.0 but not known to be healthy: started again',
    );
  });

  it('starts it again when the release reads secrets (a redeploy is how new values reach a target)', () => {
    const plan = planDeploy(
      input(
        HOSTS.map((h) => host(h, '2.0.0')),
        { release: releaseRuntime('2.0.0', { secretNames: ['DB_PASSWORD'] }) },
      ),
    );
    const steps = plan.stages.flatMap((s) => s.steps);
    expect(steps.filter((s) => s.kind === 'start-target').map((s) => s.host)).toEqual(HOSTS);
    expect(steps.filter((s) => s.kind === 'stop-target').map((s) => s.targetId)).toEqual(
      HOSTS.map((h) => `hello-2.0.0-${h}`),
    );
    expect(describePlan(plan)).toContain(
      'web1, web2, web3 already serve 2.0.0 but are started again: it reads secrets (DB_PASSWORD)',
    );
  });

  it.each<[string, PlannedStrategy]>([
    ['blue-green', { kind: 'blue-green', keepWarmMs: 60_000, drainTimeoutMs: 5_000 }],
    ['recreate', { kind: 'recreate', drainTimeoutMs: 5_000 }],
    [
      'canary',
      {
        kind: 'canary',
        steps: [{ setWeight: 10 }],
        analysis: analysisPlan(),
        header: 'X-Slipway-Canary',
        cookie: 'slipway_canary',
        keepWarmMs: 60_000,
        drainTimeoutMs: 5_000,
      },
    ],
  ])('with %s, a host serving it healthily gets no step', (_name, strategy) => {
    const plan = planDeploy(
      input([host('web1', '2.0.0'), host('web2', '1.0.0')], { hosts: ['web1', 'web2'], strategy }),
    );
    const steps = plan.stages.flatMap((s) => s.steps);
    expect(stepsOn(steps, 'web1')).toEqual([]);
    expect(stepsOn(steps, 'web2')).toContain('switch-traffic');
  });

  it('never runs a canary of a release against itself: a canary environment starts it again straight through', () => {
    const strategy: PlannedStrategy = {
      kind: 'canary',
      steps: [{ setWeight: 10 }],
      analysis: analysisPlan(),
      header: 'X-Slipway-Canary',
      cookie: 'slipway_canary',
      keepWarmMs: 60_000,
      drainTimeoutMs: 5_000,
    };
    const plan = planDeploy(
      input(
        HOSTS.map((h) => host(h, '2.0.0', { health: 'unknown' })),
        { strategy },
      ),
    );
    expect(plan.strategy).toBe('blue-green');
    expect(plan.canary).toBeUndefined();
    expect(plan.environmentStrategy).toBe('canary');
  });

  describe('a host left as it is still gets its route made as configured when that may have changed', () => {
    const blueGreen: PlannedStrategy = { kind: 'blue-green', keepWarmMs: 60_000, drainTimeoutMs: 5_000 };
    const frontDoor = {
      names: ['shop.test'],
      pathPrefix: '/',
      httpPort: 80,
      httpsPort: 443,
      bindAddress: '0.0.0.0',
      certificates: [],
    };

    it('with a front door: its names, prefix or certificates may be new (a redeploy is how they take effect)', () => {
      const plan = planDeploy(
        input([host('web1', '2.0.0'), host('web2', '2.0.0'), host('web3', '2.0.0')], {
          strategy: blueGreen,
          edge: null,
          route: 'hello@production',
          frontDoor,
        }),
      );
      const steps = plan.stages.flatMap((s) => s.steps);
      for (const name of HOSTS) expect(stepsOn(steps, name)).toEqual(['ensure-route']);
      expect(steps[0]).toMatchObject({ kind: 'ensure-route', app: 'hello@production', frontDoor });
    });

    it('when its route is found under the key it had before it gained or dropped domains', () => {
      const moved = { ...host('web2', '2.0.0'), routeKeyChanged: true as const };
      const plan = planDeploy(
        input([host('web1', '2.0.0'), moved, host('web3', '2.0.0')], { strategy: blueGreen, edge: null }),
      );
      const steps = plan.stages.flatMap((s) => s.steps);
      expect(stepsOn(steps, 'web1')).toEqual([]);
      expect(stepsOn(steps, 'web2')).toEqual(['ensure-route']);
      expect(stepsOn(steps, 'web3')).toEqual([]);
    });
  });
});
