import type { HookPoint, HooksConfig } from '../config/hooks-schema.js';
import { formatDurationMs, parseDurationMs } from '../core/duration.js';
import { CONTROL_PLANE, type Stage, type Step } from './steps.js';

/** One hook as a plan carries it: units resolved, for one environment. */
export interface PlannedHook {
  name: string;
  command: string | string[];
  timeoutMs: number;
  continueOnError: boolean;
}

/** An environment's hooks by point (`hooks:` of slipway.yml, less those for other environments). */
export type PlannedHooks = Record<HookPoint, PlannedHook[]>;

const POINTS: HookPoint[] = ['beforeDeploy', 'beforeSwitch', 'afterSwitch', 'afterRollback'];

/** The hooks of `environment` (a hook with `environments` runs only in those), units resolved; null: none. Pure. */
export function planHooks(config: HooksConfig, environment: string): PlannedHooks | null {
  const byPoint = Object.fromEntries(
    POINTS.map((point) => [
      point,
      config[point]
        .filter((hook) => hook.environments === undefined || hook.environments.includes(environment))
        .map((hook): PlannedHook => ({
          name: hook.name ?? (typeof hook.command === 'string' ? hook.command : hook.command.join(' ')),
          command: hook.command,
          timeoutMs: parseDurationMs(hook.timeout) ?? 0,
          continueOnError: hook.continueOnError,
        })),
    ]),
  ) as PlannedHooks;
  return POINTS.some((point) => byPoint[point].length > 0) ? byPoint : null;
}

/**
 * A hook, run on the control plane (docs/processes.md, "Hooks"). What it is told of the deployment is in the step,
 * so a resumed deployment tells it the same.
 */
export interface RunHookStep extends PlannedHook {
  kind: 'run-hook';
  host: typeof CONTROL_PLANE;
  point: HookPoint;
  app: string;
  environment: string;
  release: string;
  previousRelease: string | null;
  hosts: string[];
  /** Where users reach the environment (`SLIPWAY_URL`). */
  url: string;
}

/** What every hook step of a deployment is told besides its hook. */
export type HookSubject = Pick<
  RunHookStep,
  'app' | 'environment' | 'release' | 'previousRelease' | 'hosts' | 'url'
>;

const POINT_WORDS: Record<HookPoint, string> = {
  beforeDeploy: 'before deploy',
  beforeSwitch: 'before switch',
  afterSwitch: 'after switch',
  afterRollback: 'after rollback',
};

/**
 * The hooks at `point`, a stage each: the steps of a stage run side by side, and hooks run one after the other
 * (the next one only when the one before passed). None: no stages. Pure.
 */
export function hookStages(
  hooks: PlannedHooks | undefined,
  point: HookPoint,
  subject: HookSubject,
  options: { continueOnError?: true } = {},
): Stage[] {
  return (hooks?.[point] ?? []).map((hook) => ({
    name: `hook ${POINT_WORDS[point]}: ${hook.name}`,
    steps: [
      {
        kind: 'run-hook',
        host: CONTROL_PLANE,
        point,
        ...hook,
        ...subject,
        ...(options.continueOnError ? { continueOnError: true } : {}),
      } satisfies RunHookStep,
    ],
  }));
}

/**
 * The traffic stages with the before-switch hooks put in front of the first stage that moves users to the new
 * targets (a switch, a canary weight above 0), and the after-switch hooks behind them all. When no stage moves
 * users (every host serves the release already), neither runs: nothing is switched. Pure.
 */
export function withSwitchHooks(traffic: Stage[], before: Stage[], after: Stage[], release: string): Stage[] {
  const moves = (step: Step): boolean =>
    (step.kind === 'switch-traffic' && step.release === release) ||
    (step.kind === 'set-weight' && step.weight > 0);
  const first = traffic.findIndex((stage) => stage.steps.some(moves));
  if (first === -1) return traffic;
  return [...traffic.slice(0, first), ...before, ...traffic.slice(first), ...after];
}

/** The plan's line for a hook step. Pure. */
export function describeHookStep(step: RunHookStep): string {
  const command = typeof step.command === 'string' ? step.command : step.command.join(' ');
  const named = step.name === command ? '' : ` (${command})`;
  const onError = step.continueOnError
    ? 'a failure is reported and the deployment goes on'
    : 'a failure fails the deployment';
  return `run hook ${JSON.stringify(step.name)}${named} here, ${POINT_WORDS[step.point]}, for up to ${formatDurationMs(step.timeoutMs)}; ${onError}`;
}

/** The progress line's title of a hook step. Pure. */
export function titleHookStep(step: RunHookStep): string {
  return `hook ${step.name}`;
}
