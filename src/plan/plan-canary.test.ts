import { describe, expect, it } from 'vitest';
import { describePlan } from './describe-plan.js';
import { planDeploy, type DeployInput } from './plan-deploy.js';
import type { CanaryStepPlan } from './plan-input.js';
import type { Stage, Step } from './steps.js';
import { analysisPlan, releaseRuntime, servingHost } from './test-fixtures.js';

// The canary planner as a table: config steps → stages and their steps (setWeight, timed pause, pause {},
// analysis), the promotion gate, the on-failure stages, and the first deploy that has no stable to compare with.

const ANALYSIS = analysisPlan();

function input(steps: CanaryStepPlan[], overrides: Partial<DeployInput> = {}): DeployInput {
  return {
    app: 'hello',
    environment: 'production',
    kind: 'deploy',
    deploymentId: 'dcanary0abc12',
    hosts: ['local'],
    publicPort: 8420,
    bindAddress: '127.0.0.1',
    metricsPort: null,
    edge: null,
    strategy: {
      kind: 'canary',
      steps,
      analysis: ANALYSIS,
      header: 'X-Slipway-Canary',
      cookie: 'slipway_canary',
      keepWarmMs: 60_000,
      drainTimeoutMs: 5_000,
    },
    release: releaseRuntime('2.0.0'),
    previousRelease: releaseRuntime('1.0.0'),
    observed: [servingHost('local', '1.0.0', 'hello-1.0.0-old')],
    retainReleases: 3,
    nowMs: 0,
    ...overrides,
  };
}

/** A stage as one line: its name and what its steps do (the wait steps with their parameters). */
function shape(stage: Stage): string {
  const step = (s: Step): string => {
    switch (s.kind) {
      case 'set-weight':
        return `set-weight ${s.weight}`;
      case 'pause':
        return `pause ${s.durationMs ?? 'until promote'}`;
      case 'analyze':
        return s.promotionGate ? 'analyze (promotion gate)' : `analyze ${s.timeoutMs}`;
      default:
        return s.kind;
    }
  };
  return `${stage.name}: ${stage.steps.map(step).join(', ')}`;
}

const HEAD = ['prepare: install-release, ensure-route', 'start canary: start-target', 'verify: wait-healthy'];
const TAIL = [
  'promotion gate: analyze (promotion gate)',
  'promote: switch-traffic',
  'keep warm: retire-target',
  'clean up: prune-releases',
];

describe('planCanaryStages (through planDeploy)', () => {
  it.each<{ name: string; steps: CanaryStepPlan[]; rollout: string[] }>([
    {
      name: 'one weight and a timed pause',
      steps: [{ setWeight: 10 }, { pauseMs: 300_000 }],
      rollout: ['weight 10%: set-weight 10', 'pause 5m: pause 300000'],
    },
    {
      name: 'a pause until promote',
      steps: [{ setWeight: 50 }, { pauseMs: null }],
      rollout: ['weight 50%: set-weight 50', 'wait for promote: pause until promote'],
    },
    {
      name: 'inline analysis between weights',
      steps: [{ setWeight: 5 }, { analysisTimeoutMs: 60_000 }, { setWeight: 100 }],
      rollout: ['weight 5%: set-weight 5', 'analysis: analyze 60000', 'weight 100%: set-weight 100'],
    },
    {
      name: 'every kind of step',
      steps: [
        { setWeight: 1 },
        { pauseMs: 1000 },
        { analysisTimeoutMs: 5000 },
        { setWeight: 20 },
        { pauseMs: null },
      ],
      rollout: [
        'weight 1%: set-weight 1',
        'pause 1s: pause 1000',
        'analysis: analyze 5000',
        'weight 20%: set-weight 20',
        'wait for promote: pause until promote',
      ],
    },
  ])('$name → the rollout between start and a gated promotion', ({ steps, rollout }) => {
    const plan = planDeploy(input(steps));
    expect(plan.strategy).toBe('canary');
    expect(plan.stages.map(shape)).toEqual([...HEAD, ...rollout, ...TAIL]);
    expect(plan.onFailure.map(shape)).toEqual(['abort: weight 0: set-weight 0', 'stop canary: stop-target']);
  });

  it('sets the weight with the sticky cookie and opt-in header, for the canary target of every host', () => {
    const hosts = ['web1', 'web2'];
    const plan = planDeploy(
      input([{ setWeight: 25 }], {
        hosts,
        observed: hosts.map((host) => servingHost(host, '1.0.0', `hello-1.0.0-${host}`)),
      }),
    );
    const weights = plan.stages.find((s) => s.name === 'weight 25%')?.steps ?? [];
    expect(weights).toEqual(
      hosts.map((host) => ({
        kind: 'set-weight',
        host,
        app: 'hello',
        canaryTargetId: expect.stringMatching(/^hello-2\.0\.0-/) as unknown,
        canaryRelease: '2.0.0',
        weight: 25,
        header: 'X-Slipway-Canary',
        cookie: 'slipway_canary',
      })),
    );
    // What the background analysis watches: every host, canary against the release it replaces.
    expect(plan.canary).toMatchObject({
      app: 'hello',
      hosts,
      canary: { release: '2.0.0' },
      stable: { release: '1.0.0', targetId: 'hello-1.0.0-web1' },
      publicPort: 8420,
      header: 'X-Slipway-Canary',
      analysis: ANALYSIS,
    });
    // The abort takes the weight to 0 on every host, then stops every canary target.
    expect(plan.onFailure[0]?.steps.map((s) => [s.kind, s.host])).toEqual(
      hosts.map((h) => ['set-weight', h]),
    );
    expect(plan.onFailure[1]?.steps.map((s) => [s.kind, s.host])).toEqual(
      hosts.map((h) => ['stop-target', h]),
    );
  });

  it('a first deploy (nothing serves, so no stable) goes straight through as blue/green, with no analysis', () => {
    const plan = planDeploy(
      input([{ setWeight: 10 }, { pauseMs: null }], {
        previousRelease: null,
        observed: [{ host: 'local', active: null, targets: [] }],
      }),
    );
    expect(plan.strategy).toBe('blue-green');
    expect(plan.canary).toBeUndefined();
    const kinds = plan.stages.flatMap((s) => s.steps.map((step) => step.kind));
    expect(kinds).not.toContain('set-weight');
    expect(kinds).not.toContain('pause');
    expect(kinds).not.toContain('analyze');
  });

  it('a rollback goes straight back as blue/green too', () => {
    const plan = planDeploy(input([{ setWeight: 10 }], { kind: 'rollback' }));
    expect(plan.strategy).toBe('blue-green');
    expect(plan.canary).toBeUndefined();
  });

  it('a secret rotation of the release that serves is a canary of its new targets against the old ones', () => {
    const same = {
      release: releaseRuntime('1.0.0', { secretNames: ['DB_PASSWORD'] }),
      previousRelease: releaseRuntime('1.0.0', { secretNames: ['DB_PASSWORD'] }),
    };
    const rotation = planDeploy(
      input([{ setWeight: 20 }], { ...same, rotation: { secrets: ['DB_PASSWORD'] } }),
    );
    expect(rotation.strategy).toBe('canary');
    expect(rotation.rotation).toEqual({ secrets: ['DB_PASSWORD'] });
    expect(rotation.canary).toMatchObject({
      canary: { release: '1.0.0', targetId: 'hello-1.0.0-0abc12' },
      stable: { release: '1.0.0', targetId: 'hello-1.0.0-old' },
    });
    expect(describePlan(rotation)).toContain(
      'Rotates DB_PASSWORD: 1.0.0 starts again with the values the sources give now; nothing else changes',
    );
    // A plain redeploy of the release that serves has nothing to compare: straight through.
    const redeploy = planDeploy(input([{ setWeight: 20 }], same));
    expect(redeploy.strategy).toBe('blue-green');
    expect(redeploy.rotation).toBeUndefined();
  });

  it('describes the whole canary plan (snapshot)', () => {
    expect(describePlan(planDeploy(input([{ setWeight: 10 }, { pauseMs: null }])))).toMatchSnapshot();
  });
});
