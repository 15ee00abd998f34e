import { isoAt } from '../core/clock.js';
import { deriveTargetId } from '../core/ids.js';
import type { HealthCheckSpec } from '../agent/protocol.js';
import type { Plan, RollbackPreview, Stage, Step } from './steps.js';

/** Everything about a release that its targets run with (from the release's config snapshot; no secret values). */
export interface ReleaseRuntime {
  version: string;
  sha256: string;
  artifact: string;
  command: string;
  env: Record<string, string>;
  secretNames: string[];
  healthCheck: HealthCheckSpec;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  restart: { initialBackoffMs: number; maxBackoffMs: number };
}

export type PlannedStrategy =
  | { kind: 'blue-green'; keepWarmMs: number; drainTimeoutMs: number }
  | { kind: 'recreate'; drainTimeoutMs: number };

/** What a host runs right now, as its agent reported it. */
export interface HostObservation {
  host: string;
  active: { targetId: string; release: string } | null;
  targets: Array<{ targetId: string; release: string; state: string; stopAtMs: number | null }>;
}

export interface DeployInput {
  app: string;
  environment: string;
  kind: 'deploy' | 'rollback';
  deploymentId: string;
  hosts: string[];
  publicPort: number;
  bindAddress: string;
  strategy: PlannedStrategy;
  release: ReleaseRuntime;
  /** The release serving now (needed to plan the way back); null on a first deploy. */
  previousRelease: ReleaseRuntime | null;
  observed: HostObservation[];
  retainReleases: number;
  nowMs: number;
}

/** Plans a deployment (or a rollback, which is a deployment of an older release) as data. Pure. */
export function planDeploy(input: DeployInput): Plan {
  const targetId = deriveTargetId(input.app, input.release.version, input.deploymentId);
  const hosts = input.hosts.map((host) => describeHost(input, host, targetId));
  const first = hosts[0];
  const previous = first?.active ? { release: first.active.release, targetId: first.active.targetId } : null;
  const stages =
    input.strategy.kind === 'blue-green'
      ? planBlueGreenStages(input, hosts, input.strategy)
      : planRecreateStages(input, hosts, input.strategy);
  return {
    app: input.app,
    environment: input.environment,
    kind: input.kind,
    strategy: input.strategy.kind,
    deploymentId: input.deploymentId,
    release: { version: input.release.version, sha256: input.release.sha256 },
    previous,
    stages: stages.filter((s) => s.steps.length > 0),
    onFailure: planOnFailure(input, hosts).filter((s) => s.steps.length > 0),
    rollback: planRollbackPreview(input, hosts),
  };
}

interface HostPlan {
  host: string;
  /** The target that will serve the new release on this host (a warm one reused, or a new one). */
  targetId: string;
  reusesWarm: boolean;
  active: { targetId: string; release: string } | null;
}

function describeHost(input: DeployInput, host: string, newTargetId: string): HostPlan {
  const observed = input.observed.find((o) => o.host === host);
  const active = observed?.active ?? null;
  const warm = observed?.targets.find(
    (t) => t.release === input.release.version && t.state === 'running' && t.targetId !== active?.targetId,
  );
  return { host, targetId: warm?.targetId ?? newTargetId, reusesWarm: warm !== undefined, active };
}

function prepareSteps(input: DeployInput, hosts: HostPlan[], release: ReleaseRuntime): Step[] {
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
          },
        ]),
    {
      kind: 'ensure-route',
      host: h.host,
      app: input.app,
      publicPort: input.publicPort,
      bindAddress: input.bindAddress,
    },
  ]);
}

function startSteps(input: DeployInput, hosts: HostPlan[], release: ReleaseRuntime): Step[] {
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
    }));
}

function verifySteps(hosts: HostPlan[], release: ReleaseRuntime): Step[] {
  return hosts
    .filter((h) => !h.reusesWarm)
    .map((h) => ({
      kind: 'wait-healthy' as const,
      host: h.host,
      targetId: h.targetId,
      release: release.version,
      path: release.healthCheck.path,
      timeoutMs: release.startTimeoutMs,
    }));
}

function switchSteps(input: DeployInput, hosts: HostPlan[], release: string, drainTimeoutMs: number): Step[] {
  return hosts.map((h) => ({
    kind: 'switch-traffic' as const,
    host: h.host,
    app: input.app,
    targetId: h.targetId,
    release,
    drainTimeoutMs,
  }));
}

function cleanupSteps(input: DeployInput, hosts: HostPlan[]): Step[] {
  return hosts.map((h) => ({
    kind: 'prune-releases' as const,
    host: h.host,
    app: input.app,
    keep: input.retainReleases,
  }));
}

function planBlueGreenStages(
  input: DeployInput,
  hosts: HostPlan[],
  strategy: Extract<PlannedStrategy, { kind: 'blue-green' }>,
): Stage[] {
  const retire: Step[] = hosts.flatMap((h) =>
    h.active && h.active.targetId !== h.targetId
      ? [
          {
            kind: 'retire-target' as const,
            host: h.host,
            targetId: h.active.targetId,
            release: h.active.release,
            afterMs: strategy.keepWarmMs,
          },
        ]
      : [],
  );
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
  const stopNew: Step[] = hosts
    .filter((h) => !h.reusesWarm)
    .map((h) => ({
      kind: 'stop-target' as const,
      host: h.host,
      targetId: h.targetId,
      release: input.release.version,
      drainTimeoutMs,
    }));
  const withActive = hosts.filter((h) => h.active && h.active.targetId !== h.targetId);
  if (input.strategy.kind === 'blue-green') {
    const switchBack: Step[] = withActive.map((h) => ({
      kind: 'switch-traffic' as const,
      host: h.host,
      app: input.app,
      targetId: h.active?.targetId ?? '',
      release: h.active?.release ?? '',
      drainTimeoutMs,
    }));
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
  const warm =
    input.strategy.kind === 'blue-green'
      ? {
          until: isoAt(input.nowMs + input.strategy.keepWarmMs),
          stages: [
            { name: 'switch', steps: switchSteps(input, back, prev.version, drainTimeoutMs) },
            { name: 'keep warm', steps: retireNew(input.strategy.keepWarmMs) },
          ],
        }
      : null;
  const cold: HostPlan[] = withActive.map((h) => ({
    host: h.host,
    targetId: `${input.app}-${prev.version}-<new>`,
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
      steps: input.strategy.kind === 'blue-green' ? retireNew(input.strategy.keepWarmMs) : [],
    },
  ];
  return { toRelease: prev.version, warm, cold: coldStages.filter((s) => s.steps.length > 0) };
}
