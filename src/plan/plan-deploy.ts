import { isoAt } from '../core/clock.js';
import { deriveTargetId } from '../core/ids.js';
import { withApprovalGate } from './plan-approval.js';
import { planCanaryStages } from './plan-canary.js';
import { planRollingStages } from './plan-rolling.js';
import type { DeployInput, PlannedStrategy } from './plan-input.js';
import {
  cleanupSteps,
  describeHost,
  prepareSteps,
  retireOldSteps,
  stopNewSteps,
  switchBackSteps,
  startSteps,
  switchSteps,
  verifySteps,
  type HostPlan,
} from './plan-parts.js';
import { deriveAlreadyServing, hostsLeftAsIs } from './already-serving.js';
import { stopLeftoverSteps } from './reusable-targets.js';
import {
  CONTROL_PLANE,
  NEW_ID,
  type AlreadyServingHost,
  type Plan,
  type RollbackPreview,
  type Stage,
  type Step,
} from './steps.js';

export type {
  CanaryStepPlan,
  DeployInput,
  HostObservation,
  PlannedStrategy,
  ReleaseRuntime,
} from './plan-input.js';

/** Plans a deployment (or a rollback, which is a deployment of an older release) as data. Pure. */
export function planDeploy(input: DeployInput): Plan {
  return withVerification(input, withApprovalGate(planStrategy(input), input.approval ?? null));
}

/**
 * A deploy to an environment with `verify:` ends with its verification. A rollback does not: it goes back to a
 * release that was verified when it was deployed, and must not be held up.
 */
function withVerification(input: DeployInput, plan: Plan): Plan {
  if (!input.verify || input.kind !== 'deploy') return plan;
  const step: Step = {
    kind: 'verify',
    host: CONTROL_PLANE,
    app: input.app,
    environment: input.environment,
    release: input.release.version,
    hosts: input.verify.hosts,
    suite: input.verify.suite,
  };
  const stage: Stage = {
    name: 'verification',
    steps: [step],
    ...(input.verify.suite.onFailure === 'keep' ? { keepOnFailure: true } : {}),
  };
  return { ...plan, stages: [...plan.stages, stage] };
}

function planStrategy(input: DeployInput): Plan {
  const serving = deriveAlreadyServing(input);
  const plan = withLeftoversStopped(input, planChangingHosts(input, serving));
  return {
    ...plan,
    ...(serving.length > 0 ? { alreadyServing: serving } : {}),
    ...(plan.strategy !== input.strategy.kind ? { environmentStrategy: input.strategy.kind } : {}),
  };
}

/**
 * Targets an interrupted deployment left (started, never switched to or kept warm) are stopped as this one
 * starts: in its first stage, so that the stage indices the strategies plan by stay as they are.
 */
function withLeftoversStopped(input: DeployInput, plan: Plan): Plan {
  const stops = stopLeftoverSteps(input);
  if (stops.length === 0) return plan;
  const [first, ...rest] = plan.stages;
  const stages = first
    ? [{ ...first, steps: [...stops, ...first.steps] }, ...rest]
    : [{ name: 'stop leftovers', steps: stops }];
  return { ...plan, stages };
}

/** What serves now: the first host's release, or another host's when the first serves the new one already. */
function previousOf(input: DeployInput): Plan['previous'] {
  const actives = input.hosts.map((host) => input.observed.find((o) => o.host === host)?.active ?? null);
  const active = actives.find((a) => a && a.release !== input.release.version) ?? actives[0] ?? null;
  return active ? { release: active.release, targetId: active.targetId } : null;
}

/** Plans the hosts that change; those that serve the release already, healthily, are left out of the plan. */
function planChangingHosts(input: DeployInput, serving: AlreadyServingHost[]): Plan {
  const targetId = deriveTargetId(input.app, input.release.version, input.deploymentId);
  const leftAsIs = hostsLeftAsIs(serving);
  const startsAgain = new Set(serving.filter((s) => !leftAsIs.has(s.host)).map((s) => s.host));
  const hosts = input.hosts
    .filter((host) => !leftAsIs.has(host))
    .map((host) => describeHost(input, host, targetId, startsAgain.has(host)));
  const base = {
    app: input.app,
    environment: input.environment,
    kind: input.kind,
    deploymentId: input.deploymentId,
    release: { version: input.release.version, sha256: input.release.sha256 },
    previous: previousOf(input),
  };
  const strategy = input.strategy;
  if (strategy.kind === 'rolling' && input.kind === 'deploy') {
    const rolling = planRollingStages(input, hosts, strategy);
    return withEdge(input, {
      ...base,
      strategy: 'rolling',
      stages: rolling.stages,
      onFailure: rolling.onFailure,
      rollback: planRollbackPreview(input, hosts),
      batches: rolling.batches,
    });
  }
  if (strategy.kind === 'canary' && isCanaryPossible(input, hosts)) {
    const canary = planCanaryStages(input, hosts, strategy);
    return withEdge(input, {
      ...base,
      strategy: 'canary',
      stages: canary.stages.filter((s) => s.steps.length > 0),
      onFailure: canary.onFailure.filter((s) => s.steps.length > 0),
      rollback: planRollbackPreview(input, hosts),
      canary: canary.watch,
    });
  }
  // A canary needs a stable version to compare with and a new target to send a share to; a first deploy or a
  // rollback (to a warm or a retained release) goes straight through as blue/green: fast, nothing to compare.
  // A rollback of a rolling environment goes back everywhere at once: the old targets are warm on every host.
  const direct = strategy.kind === 'canary' || strategy.kind === 'rolling' ? asBlueGreen(strategy) : strategy;
  const stages =
    direct.kind === 'blue-green'
      ? planBlueGreenStages(input, hosts, direct)
      : planRecreateStages(input, hosts, direct);
  return withEdge(input, {
    ...base,
    strategy: direct.kind,
    stages: stages.filter((s) => s.steps.length > 0),
    onFailure: planOnFailure(input, hosts).filter((s) => s.steps.length > 0),
    rollback: planRollbackPreview(input, hosts),
  });
}

/** With an edge, the first stage also makes sure the edge router balances across every app host. */
function withEdge(input: DeployInput, plan: Plan): Plan {
  const edge = input.edge;
  const [first, ...rest] = plan.stages;
  if (!edge || !first) return plan;
  const ensure: Step = {
    kind: 'ensure-edge',
    host: edge.host,
    app: input.app,
    publicPort: edge.publicPort,
    bindAddress: edge.bindAddress,
    healthCheck: input.release.healthCheck,
    upstreams: edge.upstreams,
    ...(edge.failover ? { failover: edge.failover } : {}),
  };
  return { ...plan, stages: [{ ...first, steps: [ensure, ...first.steps] }, ...rest] };
}

/** A canary needs hosts to change, each serving another release (stable) to compare the new one with. */
function isCanaryPossible(input: DeployInput, hosts: HostPlan[]): boolean {
  return (
    input.kind === 'deploy' &&
    hosts.length > 0 &&
    hosts.every(
      (h) =>
        h.active !== null &&
        !h.reusesWarm &&
        h.active.targetId !== h.targetId &&
        h.active.release !== input.release.version,
    )
  );
}

function asBlueGreen(
  strategy: Extract<PlannedStrategy, { kind: 'canary' | 'rolling' }>,
): Extract<PlannedStrategy, { kind: 'blue-green' }> {
  return { kind: 'blue-green', keepWarmMs: strategy.keepWarmMs, drainTimeoutMs: strategy.drainTimeoutMs };
}

function planBlueGreenStages(
  input: DeployInput,
  hosts: HostPlan[],
  strategy: Extract<PlannedStrategy, { kind: 'blue-green' }>,
): Stage[] {
  const retire: Step[] = retireOldSteps(hosts, strategy.keepWarmMs, strategy.drainTimeoutMs);
  return [
    { name: 'prepare', steps: prepareSteps(input, hosts, input.release) },
    { name: 'start', steps: startSteps(input, hosts, input.release) },
    { name: 'verify', steps: verifySteps(hosts, input.release) },
    { name: 'switch', steps: switchSteps(input, hosts, input.release.version, strategy.drainTimeoutMs) },
    { name: 'keep warm', steps: retire },
    { name: 'clean up', steps: cleanupSteps(input, hosts) },
  ];
}

function planRecreateStages(
  input: DeployInput,
  hosts: HostPlan[],
  strategy: Extract<PlannedStrategy, { kind: 'recreate' }>,
): Stage[] {
  const stopOld: Step[] = hosts.flatMap((h) =>
    h.active && h.active.targetId !== h.targetId
      ? [
          {
            kind: 'stop-target' as const,
            host: h.host,
            targetId: h.active.targetId,
            release: h.active.release,
            drainTimeoutMs: strategy.drainTimeoutMs,
          },
        ]
      : [],
  );
  return [
    { name: 'prepare', steps: prepareSteps(input, hosts, input.release) },
    { name: 'stop old', steps: stopOld },
    { name: 'start', steps: startSteps(input, hosts, input.release) },
    { name: 'verify', steps: verifySteps(hosts, input.release) },
    { name: 'switch', steps: switchSteps(input, hosts, input.release.version, strategy.drainTimeoutMs) },
    { name: 'clean up', steps: cleanupSteps(input, hosts) },
  ];
}

/**
 * On failure, users must end up on what served before. Blue/green never moved traffic before the failing step
 * unless the switch itself happened, so: switch back to the previous target, then stop the new one. Recreate
 * already stopped the old target, so it starts the previous release again.
 */
function planOnFailure(input: DeployInput, hosts: HostPlan[]): Stage[] {
  const drainTimeoutMs = input.strategy.drainTimeoutMs;
  const stopNew = stopNewSteps(input, hosts, drainTimeoutMs);
  const withActive = hosts.filter((h) => h.active && h.active.targetId !== h.targetId);
  if (input.strategy.kind !== 'recreate') {
    const switchBack = switchBackSteps(input, hosts, drainTimeoutMs);
    return [
      { name: 'switch back', steps: switchBack },
      { name: 'stop new', steps: stopNew },
    ];
  }
  const prev = input.previousRelease;
  if (!prev || withActive.length === 0) return [{ name: 'stop new', steps: stopNew }];
  const restartHosts: HostPlan[] = withActive.map((h) => ({
    host: h.host,
    targetId: deriveTargetId(input.app, prev.version, input.deploymentId, 'restore'),
    reusesWarm: false,
    active: null,
  }));
  return [
    { name: 'stop new', steps: stopNew },
    { name: 'restart previous', steps: startSteps(input, restartHosts, prev) },
    { name: 'verify previous', steps: verifySteps(restartHosts, prev) },
    { name: 'switch back', steps: switchSteps(input, restartHosts, prev.version, drainTimeoutMs) },
  ];
}

/** What a rollback right after this deployment would do: a switch while warm, otherwise a cold start. */
function planRollbackPreview(input: DeployInput, hosts: HostPlan[]): RollbackPreview | null {
  const prev = input.previousRelease;
  const withActive = hosts.filter((h) => h.active && h.active.release !== input.release.version);
  if (!prev || withActive.length === 0) return null;
  const drainTimeoutMs = input.strategy.drainTimeoutMs;
  const newTargets = hosts.map((h) => ({ host: h.host, targetId: h.targetId }));
  const retireNew = (afterMs: number): Step[] =>
    newTargets.map((t) => ({
      kind: 'retire-target' as const,
      host: t.host,
      targetId: t.targetId,
      release: input.release.version,
      afterMs,
    }));
  const back: HostPlan[] = withActive.map((h) => ({
    host: h.host,
    targetId: h.active?.targetId ?? '',
    reusesWarm: true,
    active: null,
  }));
  const keepWarmMs = input.strategy.kind === 'recreate' ? null : input.strategy.keepWarmMs;
  const warm =
    keepWarmMs !== null
      ? {
          until: isoAt(input.nowMs + keepWarmMs),
          stages: [
            { name: 'switch', steps: switchSteps(input, back, prev.version, drainTimeoutMs) },
            { name: 'keep warm', steps: retireNew(keepWarmMs) },
          ],
        }
      : null;
  const cold: HostPlan[] = withActive.map((h) => ({
    host: h.host,
    targetId: deriveTargetId(input.app, prev.version, NEW_ID),
    reusesWarm: false,
    active: null,
  }));
  const coldStages: Stage[] = [
    { name: 'prepare', steps: prepareSteps(input, cold, prev) },
    { name: 'start', steps: startSteps(input, cold, prev) },
    { name: 'verify', steps: verifySteps(cold, prev) },
    { name: 'switch', steps: switchSteps(input, cold, prev.version, drainTimeoutMs) },
    {
      name: 'keep warm',
      steps: keepWarmMs !== null ? retireNew(keepWarmMs) : [],
    },
  ];
  return { toRelease: prev.version, warm, cold: coldStages.filter((s) => s.steps.length > 0) };
}
