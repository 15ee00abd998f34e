import { describe, expect, it } from 'vitest';
import { describePlan, describePlanStrategy } from './describe-plan.js';
import { planDeploy, type DeployInput, type HostObservation, type PlannedStrategy } from './plan-deploy.js';
import { analysisPlan, releaseRuntime } from './test-fixtures.js';

// The header of `slipway plan`, deploy and rollback names what the plan really does: a rollback of a rolling
// (or canary) environment is no rolling update (nor a canary), and says so instead of "blue-green".

const HOSTS = ['web1', 'web2'];
const ROLLING: PlannedStrategy = {
  kind: 'rolling',
  batchSize: 1,
  maxUnavailable: null,
  pauseBetweenBatchesMs: 0,
  failureBudget: 0,
  onBatchFailure: 'rollback-batch',
  keepWarmMs: 60_000,
  drainTimeoutMs: 5_000,
};
const CANARY: PlannedStrategy = {
  kind: 'canary',
  steps: [{ setWeight: 10 }],
  analysis: analysisPlan(),
  header: 'X-Slipway-Canary',
  cookie: 'slipway_canary',
  keepWarmMs: 60_000,
  drainTimeoutMs: 5_000,
};
const BLUE_GREEN: PlannedStrategy = { kind: 'blue-green', keepWarmMs: 60_000, drainTimeoutMs: 5_000 };

/** 2.0.0 serves on every host; 1.0.0 is still warm beside it, or gone (cold). */
function serving(old: 'warm' | 'cold' | 'none'): HostObservation[] {
  return HOSTS.map((host) => ({
    host,
    active: { targetId: `hello-2.0.0-${host}`, release: '2.0.0' },
    targets: [
      {
        targetId: `hello-2.0.0-${host}`,
        release: '2.0.0',
        state: 'running',
        health: 'healthy',
        stopAtMs: null,
      },
      ...(old === 'warm'
        ? [
            {
              targetId: `hello-1.0.0-${host}`,
              release: '1.0.0',
              state: 'running',
              health: 'healthy' as const,
              stopAtMs: 1,
            },
          ]
        : []),
    ],
  }));
}

function input(
  strategy: PlannedStrategy,
  kind: 'deploy' | 'rollback',
  old: 'warm' | 'cold' | 'none',
): DeployInput {
  const rollback = kind === 'rollback';
  return {
    app: 'hello',
    environment: 'production',
    kind,
    deploymentId: 'dhead00abc123',
    hosts: HOSTS,
    publicPort: 8420,
    bindAddress: '0.0.0.0',
    metricsPort: null,
    edge: null,
    strategy,
    release: releaseRuntime(rollback ? '1.0.0' : '3.0.0'),
    previousRelease: releaseRuntime('2.0.0'),
    observed: old === 'none' ? HOSTS.map((host) => ({ host, active: null, targets: [] })) : serving(old),
    retainReleases: 3,
    nowMs: 0,
  };
}

describe('describePlanStrategy', () => {
  it.each<[string, DeployInput, string]>([
    ['a rolling deploy', input(ROLLING, 'deploy', 'warm'), 'rolling'],
    [
      'a rollback of a rolling environment, old targets warm',
      input(ROLLING, 'rollback', 'warm'),
      'rolling environment; a rollback goes back on every host at once, not in batches: a switch to the warm 1.0.0 targets on every host together',
    ],
    [
      'a rollback of a rolling environment, old targets stopped',
      input(ROLLING, 'rollback', 'cold'),
      'rolling environment; a rollback goes back on every host at once, not in batches: start 1.0.0, verify, then switch every host together',
    ],
    [
      'a rollback of a canary environment',
      input(CANARY, 'rollback', 'warm'),
      'canary environment; a rollback goes straight back, no canary: a switch to the warm 1.0.0 targets on every host together',
    ],
    [
      'a first deploy to a canary environment',
      input(CANARY, 'deploy', 'none'),
      'canary environment; no canary (not every host serves another release to compare with): start 3.0.0, verify, then switch every host together',
    ],
    ['a canary deploy', input(CANARY, 'deploy', 'warm'), 'canary'],
    ['a rollback of a blue-green environment', input(BLUE_GREEN, 'rollback', 'warm'), 'blue-green'],
  ])('%s', (_name, deployInput, says) => {
    expect(describePlanStrategy(planDeploy(deployInput))).toBe(says);
  });

  it('heads the printed plan of a rolling rollback with what it does, never "(blue-green)"', () => {
    const text = describePlan(planDeploy(input(ROLLING, 'rollback', 'warm')));
    expect(text.split('\n')[0]).toBe(
      'Roll back hello 1.0.0 to production (rolling environment; a rollback goes back on every host at once, not in batches: a switch to the warm 1.0.0 targets on every host together), deployment dhead00abc123',
    );
    expect(text).not.toContain('(blue-green)');
  });
});
