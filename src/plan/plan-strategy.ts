import { isoAt } from '../core/clock.js';
import { deriveTargetId } from '../core/ids.js';
import { planCanaryStages } from './plan-canary.js';
import { planRollingStages } from './plan-rolling.js';
import { routeOfInput, targetPrefixOf, type DeployInput, type PlannedStrategy } from './plan-input.js';
import { deriveInstanceIds, groupField, membersOf } from './instance-group.js';
import {
  cleanupSteps,
  newMembersOf,
  describeHost,
  ensureRouteStep,
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
import { deriveAlreadyServing, hostsLeftAsIs, type AlreadyServingHost } from './already-serving.js';
import { stopLeftoverSteps } from './reusable-targets.js';
import {
  CONTROL_PLANE,
  NEW_ID,
  type Plan,
  type RollbackPreview,
  type Stage,
  type Step,
  type StrategyStages,
} from './steps.js';

/**
 * What a deployment's strategy plans: its stages in their three places (see StrategyStages), what runs on
 * failure, the rollback preview and the strategy's own policies. The deployment's other stages (approval,
 * window, database, bake, verification) are put around them by planDeploy (./plan-deploy.ts).
 */
export type StrategyPlan = Omit<Plan, 'stages'> & { stages: StrategyStages };

/** Plans the strategy's stages for a deployment or a rollback, as data. Pure. */
export function planStrategy(input: DeployInput): StrategyPlan {
  // With an edge, the edge's host has the front door for the environment's names; its app hosts have none.
  const hostsInput = input.edge && input.frontDoor ? { ...input, frontDoor: null } : input;
  const serving = deriveAlreadyServing(hostsInput);
  const plan = withLeftoversStopped(
    hostsInput,
    withSharedCertificate(
      hostsInput,
      withRoutesEnsured(hostsInput, serving, withEdge(input, planChangingHosts(hostsInput, serving))),
    ),
  );
  return {
    ...plan,
    ...(serving.length > 0 ? { alreadyServing: serving } : {}),
    ...(plan.strategy !== input.strategy.kind ? { environmentStrategy: input.strategy.kind } : {}),
    ...(input.rotation ? { rotation: input.rotation } : {}),
  };
}

/**
 * A host left as it is (it serves the release already) still gets its route made as configured, first, when the
 * environment has a front door or its route changes key (it gained or dropped `domains`): a redeploy of the same
 * release is how new names, a path prefix or certificates take effect. ensure-route changes nothing that is
 * already so.
 */
function withRoutesEnsured(
  input: DeployInput,
  serving: AlreadyServingHost[],
  plan: StrategyPlan,
): StrategyPlan {
  const routeMayChange = (host: string): boolean =>
    Boolean(input.frontDoor) || input.observed.some((o) => o.host === host && o.routeKeyChanged);
  const steps = [...hostsLeftAsIs(serving)]
    .filter(routeMayChange)
    .map((host) => ensureRouteStep(input, host));
  if (steps.length === 0) return plan;
  // A stage of their own, first: before an edge's stage, which may take these names over on the edge's host.
  return {
    ...plan,
    stages: { ...plan.stages, prepare: [{ name: 'routes', steps }, ...plan.stages.prepare] },
  };
}

/**
 * A certificate shared by a fleet without an edge is obtained once the prepare stage has put every host's route on
 * its front door (which answers the CA's HTTP-01 challenges), in a stage of its own, before any traffic moves.
 */
function withSharedCertificate(input: DeployInput, plan: StrategyPlan): StrategyPlan {
  const door = input.frontDoor;
  if (!door?.acme?.shared) return plan;
  const step: Step = {
    kind: 'obtain-certificate',
    host: CONTROL_PLANE,
    app: routeOfInput(input),
    environment: input.environment,
    hosts: input.hosts,
    publicPort: input.publicPort,
    bindAddress: input.bindAddress,
    metricsPort: input.metricsPort,
    frontDoor: door,
  };
  return {
    ...plan,
    stages: { ...plan.stages, prepare: [...plan.stages.prepare, { name: 'certificate', steps: [step] }] },
  };
}

/**
 * Targets an interrupted deployment left (started, never switched to or kept warm) are stopped as this one
 * starts: in its first stage.
 */
function withLeftoversStopped(input: DeployInput, plan: StrategyPlan): StrategyPlan {
  const stops = stopLeftoverSteps(input);
  if (stops.length === 0) return plan;
  return {
    ...plan,
    stages: prependSteps(plan.stages, stops) ?? {
      ...plan.stages,
      prepare: [{ name: 'stop leftovers', steps: stops }],
    },
  };
}

/** The stages with `steps` run first in their first stage; null when there is no stage. */
function prependSteps(stages: StrategyStages, steps: Step[]): StrategyStages | null {
  for (const slot of ['prepare', 'traffic', 'retire'] as const) {
    const [first, ...rest] = stages[slot];
    if (first) return { ...stages, [slot]: [{ ...first, steps: [...steps, ...first.steps] }, ...rest] };
  }
  return null;
}

/** What serves now: the first host's release, or another host's when the first serves the new one already. */
function previousOf(input: DeployInput): Plan['previous'] {
  const actives = input.hosts.map((host) => input.observed.find((o) => o.host === host)?.active ?? null);
  const active = actives.find((a) => a && a.release !== input.release.version) ?? actives[0] ?? null;
  return active ? { release: active.release, targetId: active.targetId } : null;
}

/** Plans the hosts that change; those that serve the release already, healthily, are left out of the plan. */
function planChangingHosts(input: DeployInput, serving: AlreadyServingHost[]): StrategyPlan {
  const targetId = deriveTargetId(targetPrefixOf(input), input.release.version, input.deploymentId);
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
    return {
      ...base,
      strategy: 'rolling',
      stages: rolling.stages,
      onFailure: rolling.onFailure,
      rollback: planRollbackPreview(input, hosts),
      batches: rolling.batches,
    };
  }
  if (strategy.kind === 'canary' && isCanaryPossible(input, hosts)) {
    const canary = planCanaryStages(input, hosts, strategy);
    return {
      ...base,
      strategy: 'canary',
      stages: canary.stages,
      onFailure: canary.onFailure.filter((s) => s.steps.length > 0),
      rollback: planRollbackPreview(input, hosts),
      canary: canary.watch,
    };
  }
  // A canary needs a stable version to compare with and a new target to send a share to; a first deploy or a
  // rollback (to a warm or a retained release) goes straight through as blue/green: fast, nothing to compare.
  // A rollback of a rolling environment goes back everywhere at once: the old targets are warm on every host.
  const direct = strategy.kind === 'canary' || strategy.kind === 'rolling' ? asBlueGreen(strategy) : strategy;
  const stages =
    direct.kind === 'blue-green'
      ? planBlueGreenStages(input, hosts, direct)
      : planRecreateStages(input, hosts, direct);
  return {
    ...base,
    strategy: direct.kind,
    stages: withoutEmptyStages(stages),
    onFailure: planOnFailure(input, hosts).filter((s) => s.steps.length > 0),
    rollback: planRollbackPreview(input, hosts),
  };
}

/**
 * With an edge, the first stage also makes sure the edge router balances across every app host. With `domains`
 * the edge also has the environment's names on its host's front door, and is keyed by the environment's route
 * (`<app>@<environment>`, so two environments of one app each have their edge): it is ensured in a stage of its
 * own after the prepare stage, whose ensure-route steps have taken the app hosts' routes off their front doors
 * (an environment that gains an edge on one of its hosts: the names move from that route to the edge).
 */
function withEdge(input: DeployInput, plan: StrategyPlan): StrategyPlan {
  const edge = input.edge;
  if (!edge) return plan;
  const door = input.frontDoor ?? null;
  const key = routeOfInput(input);
  const ensure: Step = {
    kind: 'ensure-edge',
    host: edge.host,
    app: key,
    publicPort: edge.publicPort,
    bindAddress: edge.bindAddress,
    healthCheck: input.release.healthCheck,
    upstreams: edge.upstreams,
    ...(edge.failover ? { failover: edge.failover } : {}),
    ...(door === null ? {} : { frontDoor: door }),
  };
  if (door === null) {
    const stages = prependSteps(plan.stages, [ensure]);
    return stages ? { ...plan, stages } : plan;
  }
  // Also when every host serves the release already: a redeploy is how changed names or certificates apply.
  const prepare = [...plan.stages.prepare, { name: 'edge', steps: [ensure] }];
  return { ...plan, stages: { ...plan.stages, prepare } };
}

/**
 * A canary needs hosts to change, each serving another target to compare the new one with: of another release
 * (stable), or, for a secret rotation, of the same release with the values from before.
 */
function isCanaryPossible(input: DeployInput, hosts: HostPlan[]): boolean {
  return (
    input.kind === 'deploy' &&
    (input.release.instances ?? 1) <= 1 && // a canary's share goes to one target (config refuses it too)
    hosts.length > 0 &&
    hosts.every(
      (h) =>
        h.active !== null &&
        !h.reusesWarm &&
        h.active.targetId !== h.targetId &&
        (input.rotation !== undefined || h.active.release !== input.release.version),
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
): StrategyStages {
  const retire: Step[] = retireOldSteps(hosts, strategy.keepWarmMs, strategy.drainTimeoutMs);
  return {
    prepare: [{ name: 'prepare', steps: prepareSteps(input, hosts, input.release) }],
    traffic: [
      { name: 'start', steps: startSteps(input, hosts, input.release) },
      { name: 'verify', steps: verifySteps(hosts, input.release) },
      { name: 'switch', steps: switchSteps(input, hosts, input.release.version, strategy.drainTimeoutMs) },
    ],
    retire: [
      { name: 'keep warm', steps: retire },
      { name: 'clean up', steps: cleanupSteps(input, hosts) },
    ],
  };
}

function planRecreateStages(
  input: DeployInput,
  hosts: HostPlan[],
  strategy: Extract<PlannedStrategy, { kind: 'recreate' }>,
): StrategyStages {
  const stopOld: Step[] = hosts.flatMap((h) =>
    h.active && h.active.targetId !== h.targetId
      ? membersOf(h.active).map((targetId) => ({
          kind: 'stop-target' as const,
          host: h.host,
          targetId,
          release: h.active?.release ?? '',
          drainTimeoutMs: strategy.drainTimeoutMs,
        }))
      : [],
  );
  return {
    prepare: [{ name: 'prepare', steps: prepareSteps(input, hosts, input.release) }],
    traffic: [
      { name: 'stop old', steps: stopOld },
      { name: 'start', steps: startSteps(input, hosts, input.release) },
      { name: 'verify', steps: verifySteps(hosts, input.release) },
      { name: 'switch', steps: switchSteps(input, hosts, input.release.version, strategy.drainTimeoutMs) },
    ],
    retire: [{ name: 'clean up', steps: cleanupSteps(input, hosts) }],
  };
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
  const restartHosts: HostPlan[] = withActive.map((h) =>
    asHostPlan(
      h.host,
      deriveInstanceIds(
        deriveTargetId(targetPrefixOf(input), prev.version, input.deploymentId, 'restore'),
        prev.instances,
      ),
      false,
    ),
  );
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
  const newTargets = hosts.flatMap((h) => newMembersOf(h).map((targetId) => ({ host: h.host, targetId })));
  const retireNew = (afterMs: number): Step[] =>
    newTargets.map((t) => ({
      kind: 'retire-target' as const,
      host: t.host,
      targetId: t.targetId,
      release: input.release.version,
      afterMs,
    }));
  const back: HostPlan[] = withActive.map((h) =>
    asHostPlan(h.host, h.active ? membersOf(h.active) : [], true),
  );
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
  const cold: HostPlan[] = withActive.map((h) =>
    asHostPlan(
      h.host,
      deriveInstanceIds(deriveTargetId(targetPrefixOf(input), prev.version, NEW_ID), prev.instances),
      false,
    ),
  );
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

/** A host plan that only starts (or switches to) `members`, with nothing active to retire. */
function asHostPlan(host: string, members: string[], reusesWarm: boolean): HostPlan {
  const group = groupField(members).group;
  return {
    host,
    targetId: members[0] ?? '',
    ...(group ? { targetIds: group } : {}),
    reusesWarm,
    active: null,
  };
}
