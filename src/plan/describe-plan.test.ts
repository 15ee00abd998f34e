import { describe, expect, it } from 'vitest';
import {
  describeDeploymentSubject,
  describePlan,
  describePlanHeading,
  describePlanStrategy,
} from './describe-plan.js';
import { planDeploy, type DeployInput, type HostObservation, type PlannedStrategy } from './plan-deploy.js';
import { NEW_ID } from './steps.js';
import { ROLLING_ONE_BY_ONE, analysisPlan, deployInput, releaseRuntime } from './test-fixtures.js';

// The header of `slipway plan`, deploy and rollback names what the plan really does: a rollback of a rolling
// (or canary) environment is no rolling update (nor a canary), and says so instead of "blue-green".

const HOSTS = ['web1', 'web2'];
const ROLLING: PlannedStrategy = ROLLING_ONE_BY_ONE;
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
      'Roll production back to hello 1.0.0 (rolling environment; a rollback goes back on every host at once, not in batches: a switch to the warm 1.0.0 targets on every host together), deployment dhead00abc123',
    );
    expect(text).not.toContain('(blue-green)');
  });
});

// A rollback takes an environment back to a release: "Rolling production back to hello 1.0.0", never "Rolling
// back hello 1.0.0 to production" (which reads as if 1.0.0 were what is taken away).
describe('what a deployment moves where', () => {
  const rollback = {
    kind: 'rollback' as const,
    app: 'hello',
    release: { version: '1.0.0' },
    environment: 'production',
  };
  const deploy = { ...rollback, kind: 'deploy' as const, release: { version: '2.0.0' } };

  it.each<[string, Parameters<typeof describePlanHeading>[1], string, string]>([
    ['a plan', 'plan', 'Deploy hello 2.0.0 to production', 'Roll production back to hello 1.0.0'],
    [
      'a running deployment',
      'running',
      'Deploying hello 2.0.0 to production',
      'Rolling production back to hello 1.0.0',
    ],
    [
      'a resumed one',
      'resuming',
      'Resuming hello 2.0.0 to production',
      'Rolling production back to hello 1.0.0',
    ],
  ])('heads %s', (_name, mood, deploying, rollingBack) => {
    expect(describePlanHeading(deploy, mood)).toBe(deploying);
    expect(describePlanHeading(rollback, mood)).toBe(rollingBack);
  });

  it('names it for the ledger and the ✔/✖ lines', () => {
    expect(describeDeploymentSubject('deploy', '2.0.0', 'production')).toBe('deploy of 2.0.0 to production');
    expect(describeDeploymentSubject('rollback', '1.0.0', 'production')).toBe(
      'rollback of production to 1.0.0',
    );
  });
});

// `slipway plan` shows no ids that the deploy after it would not use: a deploy gives its ids when it runs.
describe('a plan that is only shown', () => {
  const text = describePlan(planDeploy(deployInput({ deploymentId: NEW_ID })));

  it('names its deployment and the targets it would start <new>, and says what that means', () => {
    const [heading, serving, note] = text.split('\n');
    expect(heading).toBe('Deploy hello 2.0.0 to production (blue-green), deployment <new>');
    expect(serving).toBe('Now serving: 1.0.0 (hello-1.0.0-old111)');
    expect(note).toBe(
      '<new> marks ids given when the deploy runs (it plans again then, from what runs at that moment)',
    );
    expect(text).toContain('start target hello-2.0.0-<new> (2.0.0) on local');
    expect(text).toContain('health check hello-2.0.0-<new> on local');
    expect(text).toContain('stop target hello-2.0.0-<new> (2.0.0) on local');
  });

  it('keeps the ids of what runs already (the target serving now, the one kept warm)', () => {
    expect(text).toContain('switch traffic of hello on local to hello-1.0.0-old111 (1.0.0)');
    expect(text.match(/hello-[\d.]+-[a-z0-9]{6}\b/g)?.every((id) => id === 'hello-1.0.0-old111')).toBe(true);
  });

  it('says where no agent ran when it looked (it starts none), and plans those hosts as running nothing', () => {
    const plan = planDeploy(deployInput({ deploymentId: NEW_ID, observed: [], previousRelease: null }));
    const lines = describePlan({ ...plan, agentNotRunning: ['local'] }).split('\n');
    expect(lines.slice(1, 4)).toEqual([
      'Now serving: nothing (first deploy)',
      '<new> marks ids given when the deploy runs (it plans again then, from what runs at that moment)',
      'agent not running on local: planned as running nothing there (the deploy starts it, and it adopts the targets it left, if any)',
    ]);
  });

  it('a deployment that runs has its own ids, and no note', () => {
    const running = describePlan(planDeploy(deployInput()));
    expect(running.split('\n')[0]).toBe(
      'Deploy hello 2.0.0 to production (blue-green), deployment dtest000abc123',
    );
    expect(running).toContain('start target hello-2.0.0-abc123 (2.0.0) on local');
    expect(running).not.toContain('marks ids');
  });
});
