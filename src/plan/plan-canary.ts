import { formatDurationMs } from '../core/duration.js';
import { routeOfInput, type DeployInput, type PlannedStrategy } from './plan-input.js';
import {
  cleanupSteps,
  prepareSteps,
  retireOldSteps,
  stopNewSteps,
  switchBackSteps,
  startSteps,
  switchSteps,
  verifySteps,
  withoutEmptyStages,
  type HostPlan,
} from './plan-parts.js';
import { resolveHostCount } from './plan-rolling.js';
import { CONTROL_PLANE, type CanaryWatch, type Stage, type Step, type StrategyStages } from './steps.js';

type CanaryStrategy = Extract<PlannedStrategy, { kind: 'canary' }>;

/**
 * A canary: the new release starts beside stable, gets a growing share of requests step by step while the
 * analysis compares it with stable in the background, and is promoted (all traffic) after the last step.
 * On failure (a failed analysis, `slipway abort`, a failed step) the canary's share goes to 0 at once and its
 * targets are drained and stopped. Pure.
 */
export function planCanaryStages(
  input: DeployInput,
  hosts: HostPlan[],
  strategy: CanaryStrategy,
): { stages: StrategyStages; onFailure: Stage[]; watch: CanaryWatch } {
  const setWeight = (weight: number): Step[] =>
    hosts.map((h) => ({
      kind: 'set-weight' as const,
      host: h.host,
      app: routeOfInput(input),
      canaryTargetId: h.targetId,
      canaryRelease: input.release.version,
      weight,
      header: strategy.header,
      cookie: strategy.cookie,
    }));
  if (strategy.steps.some((step) => 'setHosts' in step)) return planHostCanary(input, hosts, strategy);
  const rollout: Stage[] = strategy.steps.flatMap((step): Stage[] =>
    'setWeight' in step
      ? [{ name: `weight ${step.setWeight}%`, steps: setWeight(step.setWeight) }]
      : waitStages(step),
  );
  const retireStable: Step[] = retireOldSteps(hosts, strategy.keepWarmMs, strategy.drainTimeoutMs);
  const stages = withoutEmptyStages({
    prepare: [{ name: 'prepare', steps: prepareSteps(input, hosts, input.release) }],
    traffic: [
      { name: 'start canary', steps: startSteps(input, hosts, input.release) },
      { name: 'verify', steps: verifySteps(hosts, input.release) },
      ...rollout,
      promotionGate(),
      { name: 'promote', steps: switchSteps(input, hosts, input.release.version, strategy.drainTimeoutMs) },
    ],
    retire: [
      { name: 'keep warm', steps: retireStable },
      { name: 'clean up', steps: cleanupSteps(input, hosts) },
    ],
  });
  const onFailure: Stage[] = [
    { name: 'abort: weight 0', steps: setWeight(0) },
    {
      name: 'stop canary',
      steps: stopNewSteps(input, hosts, strategy.drainTimeoutMs),
    },
  ];
  return { stages, onFailure, watch: deriveWatch(input, hosts, strategy) };
}

/** Inconclusive never promotes: before the canary takes all traffic, the verdict must be successful (or a person promotes). */
function promotionGate(): Stage {
  return {
    name: 'promotion gate',
    steps: [{ kind: 'analyze', host: CONTROL_PLANE, timeoutMs: 0, promotionGate: true }],
  };
}

/** Pause and analysis steps are the same in both kinds of canary. */
function waitStages(step: CanaryStrategy['steps'][number]): Stage[] {
  if ('pauseMs' in step) {
    return [
      {
        name: step.pauseMs === null ? 'wait for promote' : `pause ${formatDurationMs(step.pauseMs)}`,
        steps: [{ kind: 'pause', host: CONTROL_PLANE, durationMs: step.pauseMs }],
      },
    ];
  }
  if ('analysisTimeoutMs' in step) {
    return [
      {
        name: 'analysis',
        steps: [{ kind: 'analyze', host: CONTROL_PLANE, timeoutMs: step.analysisTimeoutMs }],
      },
    ];
  }
  return [];
}

/**
 * A host-batched canary, for apps whose requests cannot be split: the new release takes over whole hosts,
 * first a few (`setHosts`), then the rest at promotion; the analysis compares the release's metrics on its hosts
 * with stable's on the others. The old targets stay warm until promotion, so an abort is a switch back.
 */
function planHostCanary(
  input: DeployInput,
  hosts: HostPlan[],
  strategy: CanaryStrategy,
): { stages: StrategyStages; onFailure: Stage[]; watch: CanaryWatch } {
  let taken = 0;
  const takeOver = (upTo: number, name: string): Stage[] => {
    const next = hosts.slice(taken, Math.max(taken, upTo));
    taken = Math.max(taken, upTo);
    return [
      { name, steps: startSteps(input, next, input.release) },
      { name: `${name}: verify`, steps: verifySteps(next, input.release) },
      {
        name: `${name}: switch`,
        steps: switchSteps(input, next, input.release.version, strategy.drainTimeoutMs),
      },
    ];
  };
  const rollout: Stage[] = strategy.steps.flatMap((step): Stage[] => {
    if (!('setHosts' in step)) return waitStages(step);
    const count = resolveHostCount(step.setHosts, hosts.length);
    return takeOver(count, `canary on ${count} of ${hosts.length} host${hosts.length === 1 ? '' : 's'}`);
  });
  const stages = withoutEmptyStages({
    prepare: [{ name: 'prepare', steps: prepareSteps(input, hosts, input.release) }],
    traffic: [...rollout, promotionGate(), ...takeOver(hosts.length, 'promote')],
    retire: [
      { name: 'keep warm', steps: retireOldSteps(hosts, strategy.keepWarmMs, strategy.drainTimeoutMs) },
      { name: 'clean up', steps: cleanupSteps(input, hosts) },
    ],
  });
  const switchBack = switchBackSteps(input, hosts, strategy.drainTimeoutMs);
  const stopNew = stopNewSteps(input, hosts, strategy.drainTimeoutMs);
  return {
    stages,
    onFailure: [
      { name: 'abort: hosts back on stable', steps: switchBack },
      { name: 'stop canary', steps: stopNew },
    ],
    watch: deriveWatch(input, hosts, strategy),
  };
}

function deriveWatch(input: DeployInput, hosts: HostPlan[], strategy: CanaryStrategy): CanaryWatch {
  const first = hosts[0];
  const watch: CanaryWatch = {
    app: input.app,
    ...(routeOfInput(input) === input.app ? {} : { route: routeOfInput(input) }),
    hosts: hosts.map((h) => h.host),
    canary: { release: input.release.version, targetId: first?.targetId ?? '' },
    stable: { release: first?.active?.release ?? '', targetId: first?.active?.targetId ?? '' },
    publicPort: input.publicPort,
    header: strategy.header,
    analysis: strategy.analysis,
  };
  return watch;
}
