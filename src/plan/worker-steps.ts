import type { ContainerSpec, WorkerIdentity } from '../agent/protocol.js';
import type { WorkerCheckSpec } from '../agent/worker-protocol.js';
import { formatDurationMs } from '../core/duration.js';
import { deriveTargetId } from '../core/ids.js';
import { targetPrefixOf, type DeployInput, type HostObservation, type ReleaseRuntime } from './plan-input.js';
import { deriveContainerSpec } from './plan-parts.js';
import type { Stage, Step } from './steps.js';

/** One worker process of a release (`processes.<name>`), units resolved. */
export interface PlannedProcess {
  name: string;
  command: string;
  instances: number;
  stopTimeoutMs: number;
  health: WorkerCheckSpec;
  /** When a deployment replaces its instances: after the web switch (default) or before it. */
  order: WorkerOrder;
  /** Only on the hosts with one of these roles (`DeployInput.hostRoles`); absent: on every host. */
  roles?: string[];
}

export type WorkerOrder = 'afterSwitch' | 'beforeSwitch';

/** Starts one instance of a worker process (no port, never routed); its id names the process and instance. */
export interface StartWorkerStep {
  kind: 'start-worker';
  host: string;
  app: string;
  release: string;
  targetId: string;
  process: WorkerIdentity;
  command: string;
  env: Record<string, string>;
  secretNames: string[];
  stopTimeoutMs: number;
  restart: { initialBackoffMs: number; maxBackoffMs: number };
  container?: ContainerSpec;
}

/** Waits until a new worker instance passes its check: it stays up for the settle time, then its command passes. */
export interface WaitWorkerStep {
  kind: 'wait-worker';
  host: string;
  targetId: string;
  release: string;
  process: WorkerIdentity;
  check: WorkerCheckSpec;
  /** The way back: an old instance still running healthily (nothing stopped it) passes at once. */
  acceptHealthy?: true;
}

/** Stops a worker instance: SIGTERM, and its stopTimeout to finish the job it is doing before SIGKILL. */
export interface StopWorkerStep {
  kind: 'stop-worker';
  host: string;
  targetId: string;
  release: string;
  process: WorkerIdentity;
  stopTimeoutMs: number;
}

export type WorkerStep = StartWorkerStep | WaitWorkerStep | StopWorkerStep;

/** A deployment's worker stages: at each point (before / after the web switch) and the way back on failure. */
export interface WorkerStages {
  beforeSwitch: Stage[];
  afterSwitch: Stage[];
  onFailure: Stage[];
}

type ObservedTarget = HostObservation['targets'][number];
type ObservedWorker = ObservedTarget & { process: WorkerIdentity };

const isWorker = (t: ObservedTarget): t is ObservedWorker => t.process !== undefined && t.state !== 'stopped';

/**
 * Per point, on every host of the environment: start the release's instances of the processes rolled at that point,
 * check them, then stop the instances that ran before (SIGTERM, each with its stopTimeout to finish its job). Old
 * and new instances overlap between the start and the stop, so jobs must be claimed atomically (a row locked or
 * updated in one transaction, a queue's ack): no job is then done twice, and none waits while workers change.
 * Old instances of a process the release no longer has are stopped at the after-switch point. On a host left as it
 * is (it serves the release already, healthily), a healthy instance of the release is left alone. On failure, the
 * instances that ran before are started again under their ids (start-target answers one that still runs) and the
 * new ones stopped. Pure.
 */
export function planWorkerStages(input: DeployInput, leftAsIs: ReadonlySet<string>): WorkerStages {
  const release = input.release;
  const processes = release.processes ?? [];
  const orderOf = (name: string): WorkerOrder =>
    processes.find((p) => p.name === name)?.order ?? 'afterSwitch';
  const starts: StartWorkerStep[] = [];
  const stops: StopWorkerStep[] = [];
  const restores: StartWorkerStep[] = [];
  for (const host of input.hosts) {
    const running = (input.observed.find((o) => o.host === host)?.targets ?? []).filter(isWorker);
    const kept = running.filter((t) => isKept(input, host, leftAsIs.has(host), t));
    for (const p of processes.filter((q) => runsOn(input, q, host))) {
      for (let instance = 1; instance <= p.instances; instance += 1) {
        if (kept.some((t) => t.process.name === p.name && t.process.instance === instance)) continue;
        const id = deriveTargetId(
          targetPrefixOf(input),
          release.version,
          input.deploymentId,
          `${p.name}.${instance}`,
        );
        starts.push(startWorkerStep(input, host, release, p, instance, id));
      }
    }
    for (const old of running.filter((t) => !kept.includes(t))) {
      const before = input.previousRelease?.processes?.find((p) => p.name === old.process.name);
      stops.push({
        kind: 'stop-worker',
        host,
        targetId: old.targetId,
        release: old.release,
        process: old.process,
        stopTimeoutMs:
          before?.stopTimeoutMs ?? processes.find((p) => p.name === old.process.name)?.stopTimeoutMs ?? 0,
      });
      const prev = input.previousRelease;
      if (prev && before && old.release === prev.version && old.process.instance <= before.instances)
        restores.push(startWorkerStep(input, host, prev, before, old.process.instance, old.targetId));
    }
  }
  const at = (order: WorkerOrder): Stage[] =>
    workerStages(
      order === 'beforeSwitch' ? 'workers before switch' : 'workers',
      starts.filter((s) => orderOf(s.process.name) === order),
      stops.filter((s) => orderOf(s.process.name) === order),
      input.release,
    );
  const back = workerStages('workers back', restores, starts.map(stopOf), input.previousRelease, true);
  return { beforeSwitch: at('beforeSwitch'), afterSwitch: at('afterSwitch'), onFailure: back };
}

/**
 * The traffic stages with the worker stages put in: those before the switch in front of the first stage that
 * moves users to the release, those after it behind them all. When no stage moves users (every host serves the
 * release already), both come last: workers may still change. Pure.
 */
export function withWorkerStages(traffic: Stage[], workers: WorkerStages, release: string): Stage[] {
  const moves = (step: Step): boolean =>
    (step.kind === 'switch-traffic' && step.release === release) ||
    (step.kind === 'set-weight' && step.weight > 0);
  const first = traffic.findIndex((stage) => stage.steps.some(moves));
  if (first === -1) return [...traffic, ...workers.beforeSwitch, ...workers.afterSwitch];
  return [
    ...traffic.slice(0, first),
    ...workers.beforeSwitch,
    ...traffic.slice(first),
    ...workers.afterSwitch,
  ];
}

/** Whether a process runs on a host: every host, or those with one of its roles. */
function runsOn(input: DeployInput, p: PlannedProcess, host: string): boolean {
  return p.roles === undefined || p.roles.some((role) => input.hostRoles?.[host]?.includes(role));
}

/** A worker of the release, running and healthy where it belongs, on a host left as it is (no rotation). */
function isKept(input: DeployInput, host: string, hostLeftAsIs: boolean, t: ObservedWorker): boolean {
  const p = input.release.processes?.find((q) => q.name === t.process.name);
  return (
    hostLeftAsIs &&
    p !== undefined &&
    runsOn(input, p, host) &&
    input.rotation === undefined &&
    t.process.instance <= p.instances &&
    t.release === input.release.version &&
    t.state === 'running' &&
    t.health === 'healthy'
  );
}

function startWorkerStep(
  input: DeployInput,
  host: string,
  release: ReleaseRuntime,
  p: PlannedProcess,
  instance: number,
  targetId: string,
): StartWorkerStep {
  return {
    kind: 'start-worker',
    host,
    app: input.app,
    release: release.version,
    targetId,
    process: { name: p.name, instance },
    command: p.command,
    env: release.env,
    secretNames: release.secretNames,
    stopTimeoutMs: p.stopTimeoutMs,
    restart: release.restart,
    ...(release.container ? { container: deriveContainerSpec(release.container, input.environment) } : {}),
  };
}

function stopOf(start: StartWorkerStep): StopWorkerStep {
  return {
    kind: 'stop-worker',
    host: start.host,
    targetId: start.targetId,
    release: start.release,
    process: start.process,
    stopTimeoutMs: start.stopTimeoutMs,
  };
}

/** Start, check, stop: a stage each (empty ones left out). */
function workerStages(
  name: string,
  starts: StartWorkerStep[],
  stops: StopWorkerStep[],
  release: ReleaseRuntime | null,
  acceptHealthy = false,
): Stage[] {
  const check = (s: StartWorkerStep): WaitWorkerStep => ({
    ...(acceptHealthy ? { acceptHealthy: true as const } : {}),
    kind: 'wait-worker',
    host: s.host,
    targetId: s.targetId,
    release: s.release,
    process: s.process,
    check: release?.processes?.find((p) => p.name === s.process.name)?.health ?? { settleMs: 0 },
  });
  const stages: Stage[] = [
    { name: `${name}: start`, steps: starts },
    { name: `${name}: check`, steps: starts.map(check) },
    { name: `${name}: stop old`, steps: stops },
  ];
  return stages.filter((s) => s.steps.length > 0);
}

/** The plan's line for a worker step. Pure. */
export function describeWorkerStep(step: WorkerStep): string {
  const which = `${step.process.name} ${step.process.instance} (${step.targetId}, ${step.release}) on ${step.host}`;
  switch (step.kind) {
    case 'start-worker':
      return (
        `start worker ${which}: ${step.command}` +
        (step.secretNames.length ? ` [secrets: ${step.secretNames.join(', ')}]` : '')
      );
    case 'wait-worker':
      return `check worker ${which}: ${step.acceptHealthy ? 'healthy already, or ' : ''}${describeCheck(step.check)}`;
    case 'stop-worker':
      return `stop worker ${which}: SIGTERM, up to ${formatDurationMs(step.stopTimeoutMs)} to finish its job, then SIGKILL`;
  }
}

function describeCheck(check: WorkerCheckSpec): string {
  const settle = `stays up ${formatDurationMs(check.settleMs)}`;
  return check.command === undefined
    ? settle
    : `${settle}, then \`${check.command}\` passes within ${formatDurationMs(check.timeoutMs ?? 0)}`;
}

/** The progress line's title of a worker step. Pure. */
export function titleWorkerStep(step: WorkerStep): string {
  const which = `${step.process.name} ${step.process.instance}`;
  switch (step.kind) {
    case 'start-worker':
      return `start ${which} ${step.release}`;
    case 'wait-worker':
      return `check ${which} ${step.release}`;
    case 'stop-worker':
      return `stop ${which} ${step.release}`;
  }
}
