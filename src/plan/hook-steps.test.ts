import { describe, expect, it } from 'vitest';
import { hooksSchema } from '../config/hooks-schema.js';
import { describePlan } from './describe-plan.js';
import { planHooks, type PlannedHooks, type RunHookStep } from './hook-steps.js';
import { planDeploy } from './plan-deploy.js';
import type { DeployInput } from './plan-input.js';
import type { Plan, Stage } from './steps.js';
import {
  analysisPlan,
  deployInput,
  releaseRuntime,
  ROLLING_ONE_BY_ONE,
  servingHost,
} from './test-fixtures.js';

// Hooks are plan steps: where each point lands in the plan of every strategy, and what a hook step is told.

const hook = (name: string) => ({ name, command: `./${name}.sh`, timeoutMs: 60_000, continueOnError: false });
const HOOKS: PlannedHooks = {
  beforeDeploy: [hook('announce')],
  beforeSwitch: [hook('warm-cache')],
  afterSwitch: [hook('smoke')],
  afterRollback: [hook('page-team')],
};
const withHooks = (over: Partial<DeployInput> = {}): DeployInput =>
  deployInput({ hooks: { byPoint: HOOKS, url: 'http://127.0.0.1:8420' }, ...over });

/** The stage names in order, and the hooks' stages with their steps' names. */
const names = (stages: Stage[]): string[] => stages.map((s) => s.name);
const hooksIn = (stages: Stage[]): string[] =>
  stages.flatMap((s) =>
    s.steps.flatMap((step) => (step.kind === 'run-hook' ? [`${step.point}:${step.name}`] : [])),
  );

describe('planHooks', () => {
  const config = hooksSchema.parse({
    beforeSwitch: [
      { command: './warm.sh' },
      { name: 'prod only', command: ['notify', '--loud'], environments: ['production'] },
    ],
    afterSwitch: [{ command: './smoke.sh', timeout: '30s', continueOnError: true }],
  });

  it('keeps the hooks of the environment, names them by their command unless named, and resolves units', () => {
    expect(planHooks(config, 'production')).toEqual({
      beforeDeploy: [],
      beforeSwitch: [
        { name: './warm.sh', command: './warm.sh', timeoutMs: 300_000, continueOnError: false },
        { name: 'prod only', command: ['notify', '--loud'], timeoutMs: 300_000, continueOnError: false },
      ],
      afterSwitch: [{ name: './smoke.sh', command: './smoke.sh', timeoutMs: 30_000, continueOnError: true }],
      afterRollback: [],
    });
    expect(planHooks(config, 'staging')?.beforeSwitch.map((h) => h.name)).toEqual(['./warm.sh']);
  });

  it('is null when an environment has none', () => {
    expect(planHooks(hooksSchema.parse({}), 'production')).toBeNull();
    expect(
      planHooks(
        hooksSchema.parse({ afterSwitch: [{ command: 'x', environments: ['staging'] }] }),
        'production',
      ),
    ).toBeNull();
  });
});

describe('hooks in the plan', () => {
  it('blue/green: before deploy first, before switch after the health checks, after switch before keep-warm', () => {
    const plan = planDeploy(withHooks());
    expect(names(plan.stages)).toEqual([
      'hook before deploy: announce',
      'prepare',
      'start',
      'verify',
      'hook before switch: warm-cache',
      'switch',
      'hook after switch: smoke',
      'keep warm',
      'clean up',
    ]);
    // A failed deploy that put users back runs the after-rollback hooks last, and only reports their failure.
    expect(names(plan.onFailure)).toEqual(['switch back', 'stop new', 'hook after rollback: page-team']);
    const [afterRollback] = plan.onFailure.at(-1)?.steps ?? [];
    expect(afterRollback).toMatchObject({ point: 'afterRollback', continueOnError: true });
  });

  it('tells each hook of the deployment', () => {
    const step = planDeploy(withHooks()).stages[0]?.steps[0] as RunHookStep;
    expect(step).toEqual({
      kind: 'run-hook',
      host: 'control-plane',
      point: 'beforeDeploy',
      name: 'announce',
      command: './announce.sh',
      timeoutMs: 60_000,
      continueOnError: false,
      app: 'hello',
      environment: 'production',
      release: '2.0.0',
      previousRelease: '1.0.0',
      hosts: ['local'],
      url: 'http://127.0.0.1:8420',
    });
  });

  it('canary: before switch before the first weight, after switch after the promotion', () => {
    const plan = planDeploy(
      withHooks({
        strategy: {
          kind: 'canary',
          steps: [{ setWeight: 20 }, { analysisTimeoutMs: 60_000 }],
          analysis: analysisPlan(),
          header: 'X-Canary',
          cookie: 'canary',
          keepWarmMs: 60_000,
          drainTimeoutMs: 5_000,
        },
      }),
    );
    const order = names(plan.stages);
    expect(order.indexOf('hook before switch: warm-cache')).toBe(order.indexOf('weight 20%') - 1);
    expect(order.indexOf('hook after switch: smoke')).toBe(order.indexOf('promote') + 1);
  });

  it('rolling: before switch before the first batch switches, after switch after the last batch', () => {
    const input = withHooks({
      hosts: ['h1', 'h2'],
      strategy: ROLLING_ONE_BY_ONE,
      observed: [servingHost('h1', '1.0.0', 'hello-1.0.0-a'), servingHost('h2', '1.0.0', 'hello-1.0.0-b')],
    });
    const order = names(planDeploy(input).stages);
    expect(order.filter((n) => n.startsWith('hook '))).toEqual([
      'hook before deploy: announce',
      'hook before switch: warm-cache',
      'hook after switch: smoke',
    ]);
    const firstSwitch = order.findIndex((n) => n.endsWith(': switch'));
    expect(order.indexOf('hook before switch: warm-cache')).toBe(firstSwitch - 1);
    expect(order.indexOf('hook after switch: smoke')).toBeGreaterThan(
      order.length - 1 - [...order].reverse().findIndex((n) => n.endsWith(': switch')),
    );
  });

  it('a rollback runs only the after-rollback hooks, after its switch', () => {
    const plan = planDeploy(
      withHooks({
        kind: 'rollback',
        release: releaseRuntime('1.0.0'),
        previousRelease: releaseRuntime('2.0.0'),
        observed: [
          {
            host: 'local',
            active: { targetId: 'hello-2.0.0-new', release: '2.0.0' },
            targets: [
              { targetId: 'hello-2.0.0-new', release: '2.0.0', state: 'running', stopAtMs: null },
              {
                targetId: 'hello-1.0.0-old111',
                release: '1.0.0',
                state: 'running',
                stopAtMs: Date.UTC(2026, 10, 27),
              },
            ],
          },
        ],
      }),
    );
    expect(hooksIn(plan.stages)).toEqual(['afterRollback:page-team']);
    const order = names(plan.stages);
    expect(order.indexOf('hook after rollback: page-team')).toBe(order.indexOf('switch') + 1);
    expect(hooksIn(plan.onFailure)).toEqual([]);
  });

  it('when no traffic moves (the release serves already), no switch hook runs', () => {
    const healthy = servingHost('local', '1.0.0', 'hello-1.0.0-old111');
    healthy.targets = healthy.targets.map((t) => ({ ...t, health: 'healthy' as const }));
    const plan: Plan = planDeploy(withHooks({ release: releaseRuntime('1.0.0'), observed: [healthy] }));
    expect(plan.alreadyServing?.[0]?.decision.kind).toBe('left-as-is');
    expect(hooksIn(plan.stages)).toEqual(['beforeDeploy:announce']);
  });

  it('shows each hook in slipway plan', () => {
    const text = describePlan(planDeploy(withHooks()));
    expect(text).toContain(
      'run hook "warm-cache" (./warm-cache.sh) here, before switch, for up to 1m; a failure fails the deployment',
    );
    expect(text).toContain('hook after rollback: page-team');
  });
});
