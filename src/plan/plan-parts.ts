import type { ContainerSpec, ImageSpec } from '../agent/protocol.js';
import { routeOfInput, type DeployInput, type ReleaseContainer, type ReleaseRuntime } from './plan-input.js';
import { isReusableWarm } from './reusable-targets.js';
import type { Stage, Step, StrategyStages } from './steps.js';

/** How one host takes part in a deployment. */
export interface HostPlan {
  host: string;
  /** The target that will serve the new release on this host (a warm one reused, or a new one). */
  targetId: string;
  reusesWarm: boolean;
  active: { targetId: string; release: string } | null;
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
  if (startsAgain) return { host, targetId: newTargetId, reusesWarm: false, active, startsAgain: true };
  // Only a target that served and is kept warm goes live unchecked; one an interrupted deployment left is not.
  const warm = observed?.targets.find((t) =>
    isReusableWarm(t, input.release.version, active?.targetId ?? null),
  );
  return { host, targetId: warm?.targetId ?? newTargetId, reusesWarm: warm !== undefined, active };
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
    .map((h) => ({
      kind: 'start-target' as const,
      host: h.host,
      app: input.app,
      release: release.version,
      targetId: h.targetId,
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
    .map((h) => ({
      kind: 'wait-healthy' as const,
      host: h.host,
      targetId: h.targetId,
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
    const old = { host: h.host, targetId: h.active.targetId, release: h.active.release };
    return h.startsAgain
      ? [{ kind: 'stop-target', ...old, drainTimeoutMs }]
      : [{ kind: 'retire-target', ...old, afterMs: keepWarmMs }];
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
    .map((h) => ({
      kind: 'stop-target' as const,
      host: h.host,
      targetId: h.targetId,
      release: input.release.version,
      drainTimeoutMs,
    }));
}

/** A strategy's stages without those that have no step (they are left out of the plan). */
export function withoutEmptyStages(stages: StrategyStages): StrategyStages {
  const kept = (list: Stage[]) => list.filter((s) => s.steps.length > 0);
  return { prepare: kept(stages.prepare), traffic: kept(stages.traffic), retire: kept(stages.retire) };
}
