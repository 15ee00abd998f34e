import type { ContainerSpec, ImageSpec } from '../agent/protocol.js';
import { routeOfInput, type DeployInput, type ReleaseContainer, type ReleaseRuntime } from './plan-input.js';
import { deriveInstanceIds, groupField, instanceBaseOf, membersOf } from './instance-group.js';
import { isReusableWarm } from './reusable-targets.js';
import type { Stage, Step, StrategyStages } from './steps.js';

/** How one host takes part in a deployment. */
export interface HostPlan {
  host: string;
  /** The target that will serve the new release on this host (a warm one reused, or a new one). */
  targetId: string;
  /** Several instances (`run.instances`): every target of the new group, `targetId` first; absent: one. */
  targetIds?: string[];
  reusesWarm: boolean;
  /** What serves now; `group` lists every target of its group when there are several. */
  active: { targetId: string; release: string; group?: string[] } | null;
  /**
   * The host serves this release already and starts it again (see AlreadyServingDecision): a new target, and
   * the one it replaces is stopped rather than kept warm (a rollback never goes back to the same release).
   */
  startsAgain?: true;
}

export function describeHost(
  input: DeployInput,
  host: string,
  newTargetId: string,
  startsAgain = false,
): HostPlan {
  const observed = input.observed.find((o) => o.host === host);
  const active = observed?.active ?? null;
  const fresh = withGroup(deriveInstanceIds(newTargetId, input.release.instances));
  if (startsAgain) return { host, ...fresh, reusesWarm: false, active, startsAgain: true };
  // Only a target that served and is kept warm goes live unchecked; one an interrupted deployment left is not.
  const warm = (observed?.targets ?? []).filter((t) =>
    isReusableWarm(t, input.release.version, active?.targetId ?? null),
  );
  const warmGroup = findWarmGroup(
    warm.map((t) => t.targetId),
    input.release.instances ?? 1,
  );
  if (warmGroup === null) return { host, ...fresh, reusesWarm: false, active };
  return { host, ...withGroup(warmGroup), reusesWarm: true, active };
}

/** A host plan's new targets: its group's members, or its one target. */
export function newMembersOf(h: HostPlan): string[] {
  return h.targetIds ?? [h.targetId];
}

function withGroup(ids: string[]): Pick<HostPlan, 'targetId' | 'targetIds'> {
  return { targetId: ids[0] ?? '', ...(ids.length > 1 ? { targetIds: ids } : {}) };
}

/** A whole warm group of `instances` targets of one deployment (same base id), in instance order; else null. */
function findWarmGroup(warmIds: string[], instances: number): string[] | null {
  if (instances <= 1) return warmIds[0] === undefined ? null : [warmIds[0]];
  for (const id of warmIds) {
    const wanted = deriveInstanceIds(instanceBaseOf(id), instances);
    if (wanted.every((w) => warmIds.includes(w))) return wanted;
  }
  return null;
}

export function prepareSteps(input: DeployInput, hosts: HostPlan[], release: ReleaseRuntime): Step[] {
  return hosts.flatMap((h): Step[] => [
    ...(h.reusesWarm
      ? []
      : [
          {
            kind: 'install-release' as const,
            host: h.host,
            app: input.app,
            release: release.version,
            sha256: release.sha256,
            artifact: release.artifact,
            ...(release.container ? { image: deriveImageSpec(release.container) } : {}),
            ...(release.shared && !release.container ? { shared: release.shared } : {}),
          },
        ]),
    ensureRouteStep(input, h.host),
  ]);
}

/** Makes sure the host's router for the environment listens (and is on its front door) as configured. */
export function ensureRouteStep(input: DeployInput, host: string): Step {
  return {
    kind: 'ensure-route',
    host,
    app: routeOfInput(input),
    publicPort: input.publicPort,
    bindAddress: input.bindAddress,
    metricsPort: input.metricsPort,
    ...(input.frontDoor ? { frontDoor: input.frontDoor } : {}),
  };
}

export function startSteps(input: DeployInput, hosts: HostPlan[], release: ReleaseRuntime): Step[] {
  return hosts
    .filter((h) => !h.reusesWarm)
    .flatMap((h) => newMembersOf(h).map((targetId) => ({ h, targetId })))
    .map(({ h, targetId }) => ({
      kind: 'start-target' as const,
      host: h.host,
      app: input.app,
      release: release.version,
      targetId,
      command: release.command,
      env: release.env,
      secretNames: release.secretNames,
      stopTimeoutMs: release.stopTimeoutMs,
      healthCheck: release.healthCheck,
      restart: release.restart,
      ...(release.container ? { container: deriveContainerSpec(release.container, input.environment) } : {}),
    }));
}

export function verifySteps(hosts: HostPlan[], release: ReleaseRuntime): Step[] {
  return hosts
    .filter((h) => !h.reusesWarm)
    .flatMap((h) => newMembersOf(h).map((targetId) => ({ h, targetId })))
    .map(({ h, targetId }) => ({
      kind: 'wait-healthy' as const,
      host: h.host,
      targetId,
      release: release.version,
      path: release.healthCheck.path,
      timeoutMs: release.startTimeoutMs,
      healthCheck: release.healthCheck,
    }));
}

export function switchSteps(
  input: DeployInput,
  hosts: HostPlan[],
  release: string,
  drainTimeoutMs: number,
): Step[] {
  return hosts.map((h) => ({
    kind: 'switch-traffic' as const,
    host: h.host,
    app: routeOfInput(input),
    targetId: h.targetId,
    ...groupField(newMembersOf(h)),
    release,
    drainTimeoutMs,
  }));
}

export function cleanupSteps(input: DeployInput, hosts: HostPlan[]): Step[] {
  return hosts.map((h) => ({
    kind: 'prune-releases' as const,
    host: h.host,
    app: input.app,
    keep: input.retainReleases,
    ...(input.release.container ? { dockerSocket: input.release.container.socket } : {}),
  }));
}

function deriveImageSpec(c: ReleaseContainer): ImageSpec {
  return { id: c.image, ref: c.ref, socket: c.socket, pull: c.pull, ...(c.login ? { login: c.login } : {}) };
}

/** How a release's containers run in an environment. Pure. */
export function deriveContainerSpec(c: ReleaseContainer, environment: string): ContainerSpec {
  return {
    image: c.image,
    socket: c.socket,
    environment,
    memoryBytes: c.memoryBytes,
    cpus: c.cpus,
    ...(c.volumes ? { volumes: c.volumes } : {}),
  };
}

/**
 * Keep each host's previous target warm for keepWarmMs after the switch, then let its agent stop it; a target
 * of the same release that was started again is stopped (after draining) instead: nothing would go back to it.
 */
export function retireOldSteps(hosts: HostPlan[], keepWarmMs: number, drainTimeoutMs: number): Step[] {
  return hosts.flatMap((h): Step[] => {
    if (!h.active || h.active.targetId === h.targetId) return [];
    const release = h.active.release;
    return membersOf(h.active).map((targetId): Step =>
      h.startsAgain
        ? { kind: 'stop-target', host: h.host, targetId, release, drainTimeoutMs }
        : { kind: 'retire-target', host: h.host, targetId, release, afterMs: keepWarmMs },
    );
  });
}

/** The way back on failure: each host that switched (or may have) goes back to what it served before. */
export function switchBackSteps(input: DeployInput, hosts: HostPlan[], drainTimeoutMs: number): Step[] {
  return hosts.flatMap((h) =>
    h.active && h.active.targetId !== h.targetId
      ? [
          {
            kind: 'switch-traffic' as const,
            host: h.host,
            app: routeOfInput(input),
            targetId: h.active.targetId,
            ...groupField(membersOf(h.active)),
            release: h.active.release,
            drainTimeoutMs,
          },
        ]
      : [],
  );
}

/** Stops the targets this deployment started (a reused warm target served users a moment ago: never stopped). */
export function stopNewSteps(input: DeployInput, hosts: HostPlan[], drainTimeoutMs: number): Step[] {
  return hosts
    .filter((h) => !h.reusesWarm)
    .flatMap((h) => newMembersOf(h).map((targetId) => ({ h, targetId })))
    .map(({ h, targetId }) => ({
      kind: 'stop-target' as const,
      host: h.host,
      targetId,
      release: input.release.version,
      drainTimeoutMs,
    }));
}

/** A strategy's stages without those that have no step (they are left out of the plan). */
export function withoutEmptyStages(stages: StrategyStages): StrategyStages {
  const kept = (list: Stage[]) => list.filter((s) => s.steps.length > 0);
  return { prepare: kept(stages.prepare), traffic: kept(stages.traffic), retire: kept(stages.retire) };
}
