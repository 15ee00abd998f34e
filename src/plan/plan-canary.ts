import { formatDurationMs } from '../core/duration.js';
import type { DeployInput, PlannedStrategy } from './plan-input.js';
import {
  cleanupSteps,
  prepareSteps,
  retireOldSteps,
  startSteps,
  switchSteps,
  verifySteps,
  type HostPlan,
} from './plan-parts.js';
import { CONTROL_PLANE, type CanaryWatch, type Stage, type Step } from './steps.js';

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
): { stages: Stage[]; onFailure: Stage[]; watch: CanaryWatch } {
  const setWeight = (weight: number): Step[] =>
    hosts.map((h) => ({
      kind: 'set-weight' as const,
      host: h.host,
      app: input.app,
      canaryTargetId: h.targetId,
      canaryRelease: input.release.version,
      weight,
      header: strategy.header,
      cookie: strategy.cookie,
    }));
  const rollout: Stage[] = strategy.steps.map((step): Stage => {
    if ('setWeight' in step) return { name: `weight ${step.setWeight}%`, steps: setWeight(step.setWeight) };
    if ('pauseMs' in step) {
      return {
        name: step.pauseMs === null ? 'wait for promote' : `pause ${formatDurationMs(step.pauseMs)}`,
        steps: [{ kind: 'pause', host: CONTROL_PLANE, durationMs: step.pauseMs }],
      };
    }
    return {
      name: 'analysis',
      steps: [{ kind: 'analyze', host: CONTROL_PLANE, timeoutMs: step.analysisTimeoutMs }],
    };
  });
  const retireStable: Step[] = retireOldSteps(hosts, strategy.keepWarmMs);
  const stages: Stage[] = [
    { name: 'prepare', steps: prepareSteps(input, hosts, input.release) },
    { name: 'start canary', steps: startSteps(input, hosts, input.release) },
    { name: 'verify', steps: verifySteps(hosts, input.release) },
    ...rollout,
    { name: 'promote', steps: switchSteps(input, hosts, input.release.version, strategy.drainTimeoutMs) },
    { name: 'keep warm', steps: retireStable },
    { name: 'clean up', steps: cleanupSteps(input, hosts) },
  ];
  const onFailure: Stage[] = [
    { name: 'abort: weight 0', steps: setWeight(0) },
    {
      name: 'stop canary',
      steps: hosts.map((h) => ({
        kind: 'stop-target' as const,
        host: h.host,
        targetId: h.targetId,
        release: input.release.version,
        drainTimeoutMs: strategy.drainTimeoutMs,
      })),
    },
  ];
  const first = hosts[0];
  const watch: CanaryWatch = {
    app: input.app,
    hosts: hosts.map((h) => h.host),
    canary: { release: input.release.version, targetId: first?.targetId ?? '' },
    stable: { release: first?.active?.release ?? '', targetId: first?.active?.targetId ?? '' },
    publicPort: input.publicPort,
    header: strategy.header,
    analysis: strategy.analysis,
  };
  return { stages, onFailure, watch };
}
