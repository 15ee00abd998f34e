import { describe, expect, it } from 'vitest';
import type { CronJobSpec } from '../agent/cron-protocol.js';
import type { ReleaseRuntime } from './plan-input.js';
import { describeScheduleStep, planScheduleStage, type SetScheduleStep } from './schedule-steps.js';

const job = (name: string): CronJobSpec => ({
  name,
  schedule: '*/5 * * * *',
  timezone: 'UTC',
  command: './sweep.sh',
  overlap: 'skip',
  timeoutMs: 60_000,
});
const release = (version: string, cron?: CronJobSpec[]): ReleaseRuntime =>
  ({ version, ...(cron ? { cron } : {}) }) as ReleaseRuntime;
const input = (hosts: string[], now: ReleaseRuntime, before: ReleaseRuntime | null) => ({
  app: 'shop',
  environment: 'production',
  hosts,
  release: now,
  previousRelease: before,
});

describe('planScheduleStage', () => {
  it('gives the first host the jobs of the release and of the one it replaces, every other host none', () => {
    const stage = planScheduleStage(
      input(['web-1', 'web-2', 'web-3'], release('2.0.0', [job('sweep')]), release('1.0.0', [job('old')])),
    );
    expect(stage?.steps).toEqual([
      {
        kind: 'set-schedule',
        host: 'web-1',
        app: 'shop',
        route: 'shop',
        environment: 'production',
        chosenHost: 'web-1',
        jobsByRelease: { '2.0.0': [job('sweep')], '1.0.0': [job('old')] },
      },
      {
        kind: 'set-schedule',
        host: 'web-2',
        app: 'shop',
        route: 'shop',
        environment: 'production',
        chosenHost: 'web-1',
        jobsByRelease: {},
      },
      {
        kind: 'set-schedule',
        host: 'web-3',
        app: 'shop',
        route: 'shop',
        environment: 'production',
        chosenHost: 'web-1',
        jobsByRelease: {},
      },
    ]);
  });

  it.each<[string, ReleaseRuntime, ReleaseRuntime | null, boolean]>([
    ['no jobs anywhere: no stage', release('2.0.0'), release('1.0.0'), false],
    ['a first deploy without jobs: no stage', release('1.0.0'), null, false],
    [
      'the release drops its jobs: a stage (the old ones stay known for a rollback)',
      release('2.0.0'),
      release('1.0.0', [job('a')]),
      true,
    ],
    ['a rollback to a release with jobs: a stage', release('1.0.0', [job('a')]), release('2.0.0'), true],
  ])('%s', (_name, now, before, staged) => {
    expect(planScheduleStage(input(['web-1'], now, before)) !== null).toBe(staged);
  });

  it('says in the plan which host runs the jobs', () => {
    const steps = planScheduleStage(input(['web-1', 'web-2'], release('2.0.0', [job('sweep')]), null))
      ?.steps as SetScheduleStep[];
    expect(steps.map(describeScheduleStep)).toEqual([
      'run the scheduled jobs of production here, once per tick, in the release that serves: sweep (*/5 * * * *, UTC, overlap skip, timeout 1m)',
      'run no scheduled jobs of production here (web-1 runs them)',
    ]);
  });
});
