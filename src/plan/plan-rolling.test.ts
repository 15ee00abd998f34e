import { describe, expect, it } from 'vitest';
import { describePlan } from './describe-plan.js';
import { planDeploy, type DeployInput, type ReleaseRuntime } from './plan-deploy.js';
import { deriveBatches, resolveHostCount } from './plan-rolling.js';
import { ROLLING_ONE_BY_ONE, analysisPlan, releaseRuntime } from './test-fixtures.js';

function release(version: string): ReleaseRuntime {
  return releaseRuntime(version, { sha256: 'b'.repeat(64), artifact: `/a/${version}.tgz` });
}

const HOSTS = ['web1', 'web2', 'web3'];

function input(overrides: Partial<DeployInput> = {}): DeployInput {
  return {
    app: 'hello',
    environment: 'production',
    kind: 'deploy',
    deploymentId: 'droll00abc123',
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
    strategy: ROLLING_ONE_BY_ONE,
    release: release('2.0.0'),
    previousRelease: release('1.0.0'),
    observed: HOSTS.map((host) => ({
      host,
      active: { targetId: `hello-1.0.0-${host}`, release: '1.0.0' },
      targets: [{ targetId: `hello-1.0.0-${host}`, release: '1.0.0', state: 'running', stopAtMs: null }],
    })),
    retainReleases: 3,
    nowMs: 0,
    ...overrides,
  };
}

describe('rolling batches', () => {
  it.each([
    [1, 5, 1],
    ['25%', 5, 2],
    ['100%', 3, 3],
    [10, 3, 3],
    ['1%', 3, 1],
  ] as const)('batch size %j of %d hosts → %d', (count, hosts, size) => {
    expect(resolveHostCount(count, hosts)).toBe(size);
  });

  it('splits hosts in order, capped by maxUnavailable', () => {
    expect(deriveBatches(['a', 'b', 'c', 'd', 'e'], 2, null)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(deriveBatches(['a', 'b', 'c', 'd'], '50%', 1)).toEqual([['a'], ['b'], ['c'], ['d']]);
  });
});

describe('planDeploy with a rolling strategy', () => {
  it('installs everywhere first, then per batch: out of the edge, start, verify, switch, keep warm, back in', () => {
    const plan = planDeploy(input());
    expect(plan.strategy).toBe('rolling');
    expect(plan.stages[0]?.steps.map((s) => s.kind)).toEqual([
      'ensure-edge',
      'install-release',
      'ensure-route',
      'install-release',
      'ensure-route',
      'install-release',
      'ensure-route',
    ]);
    expect(plan.stages.slice(1, 7).map((s) => s.name)).toEqual([
      'batch 1/3: out of the edge',
      'batch 1/3: start',
      'batch 1/3: verify',
      'batch 1/3: switch',
      'batch 1/3: keep old warm',
      'batch 1/3: back in the edge',
    ]);
    expect(
      plan.stages
        .filter((s) => s.batch === 2)
        .flatMap((s) => s.steps.map((x) => ('member' in x ? x.member : x.host))),
    ).toEqual(Array(6).fill('web2'));
    expect(plan.batches?.recover[2]?.map((s) => s.name)).toEqual([
      'back in the edge',
      'switch back',
      'stop new',
    ]);
    expect(describePlan(plan)).toMatchSnapshot();
  });

  it('without an edge, a batch is a blue-green update of its hosts', () => {
    const rolling = input().strategy;
    if (rolling.kind !== 'rolling') throw new Error('fixture');
    const plan = planDeploy(input({ edge: null, strategy: { ...rolling, batchSize: '50%' } }));
    expect(plan.stages.map((s) => s.name)).toEqual([
      'prepare',
      'batch 1/2: start',
      'batch 1/2: verify',
      'batch 1/2: switch',
      'batch 1/2: keep old warm',
      'batch 2/2: start',
      'batch 2/2: verify',
      'batch 2/2: switch',
      'batch 2/2: keep old warm',
      'clean up',
    ]);
  });

  it('rolls back everywhere at once (the old targets are warm on every host)', () => {
    const observed = HOSTS.map((host) => ({
      host,
      active: { targetId: `hello-2.0.0-${host}`, release: '2.0.0' },
      targets: [
        { targetId: `hello-2.0.0-${host}`, release: '2.0.0', state: 'running', stopAtMs: null },
        {
          targetId: `hello-1.0.0-${host}`,
          release: '1.0.0',
          state: 'running',
          health: 'healthy' as const,
          stopAtMs: 1,
        },
      ],
    }));
    const plan = planDeploy(
      input({ kind: 'rollback', release: release('1.0.0'), previousRelease: release('2.0.0'), observed }),
    );
    expect(plan.strategy).toBe('blue-green');
    const switchStage = plan.stages.find((s) => s.name === 'switch');
    expect(switchStage?.steps.map((s) => s.host)).toEqual(HOSTS);
    expect(plan.stages.flatMap((s) => s.steps).some((s) => s.kind === 'start-target')).toBe(false);
  });
});

describe('planDeploy with a host-batched canary', () => {
  it('takes over one host, waits for the analysis, then promotes the rest; an abort switches every host back', () => {
    const plan = planDeploy(
      input({
        strategy: {
          kind: 'canary',
          steps: [{ setHosts: 1 }, { analysisTimeoutMs: 60_000 }],
          analysis: analysisPlan(),
          header: 'X-Slipway-Canary',
          cookie: 'slipway_canary',
          keepWarmMs: 60_000,
          drainTimeoutMs: 5_000,
        },
      }),
    );
    expect(plan.strategy).toBe('canary');
    expect(plan.stages.map((s) => s.name)).toEqual([
      'prepare',
      'canary on 1 of 3 hosts',
      'canary on 1 of 3 hosts: verify',
      'canary on 1 of 3 hosts: switch',
      'analysis',
      'promotion gate',
      'promote',
      'promote: verify',
      'promote: switch',
      'keep warm',
      'clean up',
    ]);
    expect(plan.stages[3]?.steps.map((s) => s.host)).toEqual(['web1']);
    expect(plan.stages[8]?.steps.map((s) => s.host)).toEqual(['web2', 'web3']);
    expect(plan.onFailure[0]?.steps.map((s) => [s.kind, s.host])).toEqual([
      ['switch-traffic', 'web1'],
      ['switch-traffic', 'web2'],
      ['switch-traffic', 'web3'],
    ]);
    expect(plan.canary?.hosts).toEqual(HOSTS);
  });
});
