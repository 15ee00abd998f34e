import type { CronJobSpec } from '../agent/cron-protocol.js';
import { formatDurationMs } from '../core/duration.js';
import { routeOfInput, type DeployInput } from './plan-input.js';
import type { Stage } from './steps.js';

/**
 * Tells a host whether it runs the environment's scheduled jobs (docs/processes.md, "Scheduled jobs"). Every host
 * of the environment gets one: the chosen host the jobs of the release deployed and of the one it replaces, the
 * others none (a schedule left there from before is dropped).
 */
export interface SetScheduleStep {
  kind: 'set-schedule';
  host: string;
  app: string;
  route: string;
  environment: string;
  /** The host that runs the jobs (the environment's first). */
  chosenHost: string;
  /** Empty on every host but the chosen one. */
  jobsByRelease: Record<string, CronJobSpec[]>;
}

/** The host of an environment that runs its scheduled jobs: the first one listed. Pure. */
export function chooseCronHost(hosts: readonly string[]): string | null {
  return hosts[0] ?? null;
}

/**
 * The stage that places the scheduled jobs, or null when neither the release nor the one it replaces has any.
 * It runs before the traffic moves: the chosen host then knows the new release's jobs when the switch makes it
 * the live one, and at each tick runs the jobs of the release serving then. A rollback's plan carries it too (the
 * jobs are the release's). Pure.
 */
export function planScheduleStage(
  input: Pick<DeployInput, 'app' | 'route' | 'environment' | 'hosts' | 'release' | 'previousRelease'>,
): Stage | null {
  const releases = [input.release, input.previousRelease].filter((r) => r !== null);
  if (!releases.some((r) => (r.cron?.length ?? 0) > 0)) return null;
  const chosenHost = chooseCronHost(input.hosts);
  if (chosenHost === null) return null;
  const jobsByRelease = Object.fromEntries(releases.map((r) => [r.version, r.cron ?? []]));
  return {
    name: 'schedule jobs',
    steps: input.hosts.map((host): SetScheduleStep => ({
      kind: 'set-schedule',
      host,
      app: input.app,
      route: routeOfInput(input),
      environment: input.environment,
      chosenHost,
      jobsByRelease: host === chosenHost ? jobsByRelease : {},
    })),
  };
}

/** The plan's line for a schedule step. Pure. */
export function describeScheduleStep(step: SetScheduleStep): string {
  if (step.host !== step.chosenHost) {
    return `run no scheduled jobs of ${step.environment} here (${step.chosenHost} runs them)`;
  }
  const [release, jobs = []] = Object.entries(step.jobsByRelease)[0] ?? [];
  const described = jobs.map(
    (j) =>
      `${j.name} (${j.schedule}, ${j.timezone}, overlap ${j.overlap}, timeout ${formatDurationMs(j.timeoutMs)})`,
  );
  return jobs.length === 0
    ? `run no scheduled jobs of ${step.environment} in ${release ?? 'this release'}`
    : `run the scheduled jobs of ${step.environment} here, once per tick, in the release that serves: ${described.join('; ')}`;
}

/** The progress line's title of a schedule step. Pure. */
export function titleScheduleStep(step: SetScheduleStep): string {
  return step.host === step.chosenHost ? 'schedule jobs' : 'no jobs here';
}
