import type { ContainerSpec, ImageSpec } from '../agent/protocol.js';
import type { DeployInput, ReleaseContainer, ReleaseRuntime } from './plan-input.js';
import type { Step } from './steps.js';

/** How one host takes part in a deployment. */
export interface HostPlan {
  host: string;
  /** The target that will serve the new release on this host (a warm one reused, or a new one). */
  targetId: string;
  reusesWarm: boolean;
  active: { targetId: string; release: string } | null;
}

export function describeHost(input: DeployInput, host: string, newTargetId: string): HostPlan {
  const observed = input.observed.find((o) => o.host === host);
  const active = observed?.active ?? null;
  const warm = observed?.targets.find(
    (t) => t.release === input.release.version && t.state === 'running' && t.targetId !== active?.targetId,
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
          },
        ]),
    {
      kind: 'ensure-route',
      host: h.host,
      app: input.app,
      publicPort: input.publicPort,
      bindAddress: input.bindAddress,
      metricsPort: input.metricsPort,
    },
  ]);
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
    app: input.app,
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
  return { id: c.image, ref: c.ref, socket: c.socket, pull: c.pull };
}

function deriveContainerSpec(c: ReleaseContainer, environment: string): ContainerSpec {
  return { image: c.image, socket: c.socket, environment, memoryBytes: c.memoryBytes, cpus: c.cpus };
}

/** Keep each host's previous target warm for keepWarmMs after the switch, then let its agent stop it. */
export function retireOldSteps(hosts: HostPlan[], keepWarmMs: number): Step[] {
  return hosts.flatMap((h) =>
    h.active && h.active.targetId !== h.targetId
      ? [
          {
            kind: 'retire-target' as const,
            host: h.host,
            targetId: h.active.targetId,
            release: h.active.release,
            afterMs: keepWarmMs,
          },
        ]
      : [],
  );
}

/** The way back on failure: each host that switched (or may have) goes back to what it served before. */
export function switchBackSteps(input: DeployInput, hosts: HostPlan[], drainTimeoutMs: number): Step[] {
  return hosts.flatMap((h) =>
    h.active && h.active.targetId !== h.targetId
      ? [
          {
            kind: 'switch-traffic' as const,
            host: h.host,
            app: input.app,
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
