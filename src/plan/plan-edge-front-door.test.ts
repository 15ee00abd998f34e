import { describe, expect, it } from 'vitest';
import { describeStep } from './describe-step.js';
import { planDeploy, type DeployInput } from './plan-deploy.js';
import type { PlannedFrontDoor, Stage, Step } from './steps.js';
import { ROLLING_ONE_BY_ONE, deployInput, releaseRuntime } from './test-fixtures.js';

// `domains` with an edge: the edge's host has the environment's names on its front door; its app hosts have none.

const HOSTS = ['web1', 'web2', 'web3'];

const DOOR: PlannedFrontDoor = {
  names: ['shop.test'],
  pathPrefix: '/',
  httpPort: 80,
  httpsPort: 443,
  bindAddress: '0.0.0.0',
  certificates: [{ certFile: '/p/shop.pem', keyFile: '/p/shop.key' }],
};

function input(overrides: Partial<DeployInput> = {}): DeployInput {
  return deployInput({
    hosts: HOSTS,
    route: 'hello@production',
    frontDoor: DOOR,
    edge: {
      host: 'web1',
      publicPort: 8000,
      bindAddress: '0.0.0.0',
      upstreams: HOSTS.map((h, i) => ({ id: h, address: `10.0.0.${i + 10}`, port: 8420 })),
    },
    strategy: ROLLING_ONE_BY_ONE,
    observed: HOSTS.map((host) => ({
      host,
      active: { targetId: `hello_production-1.0.0-${host}`, release: '1.0.0' },
      targets: [
        { targetId: `hello_production-1.0.0-${host}`, release: '1.0.0', state: 'running', stopAtMs: null },
      ],
    })),
    ...overrides,
  });
}

function stepsOf(stages: Stage[]): Step[] {
  return stages.flatMap((s) => s.steps);
}

describe('planDeploy: domains with an edge', () => {
  it('gives the names to the edge (keyed by the environment) and none to the app hosts', () => {
    const plan = planDeploy(input());
    const all = [...stepsOf(plan.stages), ...stepsOf(plan.onFailure)];
    const routes = all.filter((s) => s.kind === 'ensure-route');
    expect(routes.map((s) => [s.host, s.app, 'frontDoor' in s])).toEqual([
      ['web1', 'hello@production', false],
      ['web2', 'hello@production', false],
      ['web3', 'hello@production', false],
    ]);
    // After the prepare stage (whose ensure-route steps took the app hosts' routes off any front door).
    expect(plan.stages.slice(0, 2).map((s) => [s.name, s.steps.map((x) => x.kind)])).toEqual([
      [
        'prepare',
        [
          'install-release',
          'ensure-route',
          'install-release',
          'ensure-route',
          'install-release',
          'ensure-route',
        ],
      ],
      ['edge', ['ensure-edge']],
    ]);
    const [edge] = plan.stages[1]?.steps ?? [];
    expect(edge).toMatchObject({
      kind: 'ensure-edge',
      host: 'web1',
      app: 'hello@production',
      frontDoor: DOOR,
    });
    expect(describeStep(edge as Step)).toContain(
      'shop.test on its front door :80 and HTTPS :443 (1 certificate), for the whole fleet',
    );
  });

  it('names the edge by the same key in every step that takes a host out of it or puts it back', () => {
    const plan = planDeploy(input());
    const members = [
      ...stepsOf(plan.stages),
      ...stepsOf(plan.onFailure),
      ...Object.values(plan.batches?.recover ?? {}).flatMap(stepsOf),
    ].filter((s) => s.kind === 'set-edge-member');
    expect(members.length).toBeGreaterThan(6);
    expect(new Set(members.map((s) => s.app))).toEqual(new Set(['hello@production']));
  });

  it('ensures the edge with its names on a blue/green rollback too', () => {
    const plan = planDeploy(
      input({
        kind: 'rollback',
        strategy: { kind: 'blue-green', keepWarmMs: 60_000, drainTimeoutMs: 5_000 },
        release: releaseRuntime('1.0.0'),
        previousRelease: releaseRuntime('2.0.0'),
      }),
    );
    const edge = stepsOf(plan.stages).find((s) => s.kind === 'ensure-edge');
    expect(edge).toMatchObject({ app: 'hello@production', frontDoor: DOOR });
    expect(stepsOf(plan.stages).some((s) => s.kind === 'ensure-route' && s.frontDoor)).toBe(false);
  });

  it('ensures the edge with its names when every host serves the release already (a redeploy)', () => {
    const plan = planDeploy(
      input({
        observed: HOSTS.map((host) => ({
          host,
          active: { targetId: `hello_production-2.0.0-${host}`, release: '2.0.0' },
          targets: [
            {
              targetId: `hello_production-2.0.0-${host}`,
              release: '2.0.0',
              state: 'running',
              stopAtMs: null,
              health: 'healthy' as const,
            },
          ],
        })),
      }),
    );
    expect(plan.alreadyServing?.length).toBe(3);
    expect(plan.stages.map((s) => [s.name, s.steps.map((x) => x.kind)])).toEqual([['edge', ['ensure-edge']]]);
  });

  it('without domains, keeps the edge keyed by the app and ensured first, with no front door', () => {
    const plan = planDeploy(input({ route: undefined, frontDoor: null }));
    const [first] = plan.stages;
    expect(first?.steps[0]).toMatchObject({ kind: 'ensure-edge', app: 'hello' });
    expect(first?.steps[0]).not.toHaveProperty('frontDoor');
    const members = stepsOf(plan.stages).filter((s) => s.kind === 'set-edge-member');
    expect(new Set(members.map((s) => s.app))).toEqual(new Set(['hello']));
  });

  it('without an edge, the names stay on every host', () => {
    const plan = planDeploy(input({ edge: null }));
    const routes = stepsOf(plan.stages).filter((s) => s.kind === 'ensure-route');
    expect(routes.map((s) => s.frontDoor)).toEqual([DOOR, DOOR, DOOR]);
    expect(stepsOf(plan.stages).some((s) => s.kind === 'ensure-edge')).toBe(false);
  });
});
