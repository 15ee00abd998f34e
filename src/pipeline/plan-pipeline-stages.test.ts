import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/parse-config.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { planDeploy, type DeployInput } from '../plan/plan-deploy.js';
import { deployInput } from '../plan/test-fixtures.js';
import { planWindowStage, type PipelineStageOptions } from './plan-pipeline-stages.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const none: PipelineStageOptions = { notBeforeMs: null, freezeOverridden: false };

/** A deploy (or rollback) of 2.0.0 planned with an environment's pipeline settings. */
function plan(
  env: EnvironmentConfig,
  pipeline: PipelineStageOptions = none,
  kind: 'deploy' | 'rollback' = 'deploy',
  approval: DeployInput['approval'] = null,
) {
  const input = deployInput({ kind, nowMs: NOW, approval });
  const database = {
    input: { app: 'hello', environment: 'production', env, projectDir: '/app', release: input.release },
    loaded: null,
  };
  return planDeploy(input, {
    env,
    pipeline,
    database: { ...database, input: { ...database.input, mode: kind, runDown: false } },
  });
}

function environment(extra: string): EnvironmentConfig {
  const parsed = parseConfig(
    `app: hello\nrun: { command: node server.js }\nenvironments:\n  production:\n    publicPort: 8420\n${extra}`,
    'slipway.yml',
  );
  if (!('config' in parsed)) throw new Error(JSON.stringify(parsed.issues));
  const env = parsed.config.environments.production;
  if (!env) throw new Error('no production');
  return env;
}

const names = (p: { stages: { name: string }[] }) => p.stages.map((s) => s.name);

describe('pipeline stages in a deploy plan', () => {
  it('leaves a plan without windows, time or bake as the strategy made it', () => {
    expect(planWindowStage(environment(''), none)).toBeNull();
    expect(plan(environment(''))).toEqual(planDeploy(deployInput({ nowMs: NOW })));
  });

  it('waits first for a window or a time, carrying the freezes to check when the wait ends', () => {
    const env = environment(
      '    windows: [{ cron: "* 9-16 * * 1-5", timezone: Europe/Berlin }]\n    freezes: [{ name: year-end, from: "2026-12-20", to: "2027-01-04" }]\n',
    );
    const p = plan(env, { notBeforeMs: NOW + 60_000, freezeOverridden: true });
    expect(names(p)[0]).toBe('await window');
    expect(p.stages[0]?.steps[0]).toEqual({
      kind: 'await-window',
      host: 'control-plane',
      notBeforeMs: NOW + 60_000,
      windows: [{ cron: '* 9-16 * * 1-5', timezone: 'Europe/Berlin' }],
      freezes: [{ name: 'year-end', from: '2026-12-20', to: '2027-01-04', timezone: 'UTC' }],
      freezeOverridden: true,
    });
  });

  it('bakes after the switch and before the old release is retired, on the new target', () => {
    const env = environment('    bake: { duration: 10m, rules: { maxP99: 300ms } }\n');
    const p = plan(env);
    expect(names(p)).toEqual(['prepare', 'start', 'verify', 'switch', 'bake', 'keep warm', 'clean up']);
    const switched = p.stages[3]?.steps[0];
    expect(p.stages[4]?.steps[0]).toMatchObject({
      kind: 'bake',
      release: '2.0.0',
      targets: [{ host: 'local', targetId: switched?.kind === 'switch-traffic' ? switched.targetId : '?' }],
      durationMs: 600_000,
      maxErrorRate: 0.05,
      maxP99Ms: 300,
      requireHealthy: true,
    });
    // A failing bake switches back to the previous target, which is still running then.
    expect(p.onFailure.map((s) => s.name)).toEqual(['switch back', 'stop new']);
  });

  it('waits for the window after the approval', () => {
    const env = environment('    windows: [{ cron: "* 9-16 * * 1-5" }]\n');
    const approval = {
      required: [{ role: 'approver', count: 1 }],
      allowSelfApproval: false,
      expiresAfter: '24h',
    };
    expect(names(plan(env, none, 'deploy', approval)).slice(0, 3)).toEqual([
      'approval',
      'await window',
      'prepare',
    ]);
  });

  it('holds a rollback by neither window nor bake', () => {
    const env = environment('    windows: [{ cron: "0 3 * * *" }]\n    bake: { duration: 10m }\n');
    const held = plan(env, { notBeforeMs: NOW + 1, freezeOverridden: false }, 'rollback');
    expect(held).toEqual(planDeploy(deployInput({ kind: 'rollback', nowMs: NOW })));
  });
});
