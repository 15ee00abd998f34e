import type { ApprovalGate } from './plan-approval.js';
import type { EdgeFailoverSpec, HealthCheckSpec, TargetHealth, WorkerIdentity } from '../agent/protocol.js';
import type { RegistryLogin } from '../agent/image-protocol.js';
import type { VerifySuitePlan } from '../verify/verify-suite.js';
import type { AnalysisPlan, PlannedFrontDoor, Rotation } from './steps.js';
import type { PlannedHooks } from './hook-steps.js';
import type { PlannedProcess } from './worker-steps.js';
import type { CronJobSpec } from '../agent/cron-protocol.js';

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
  /** Directories linked into its release directory from the host's shared ones; absent: none. */
  shared?: string[];
  /** Worker processes (`processes`), in name order; absent: none. */
  processes?: PlannedProcess[];
  /** Its scheduled jobs in this environment (`cron`); absent: none. */
  cron?: CronJobSpec[];
  /** Targets per host (`run.instances`), routed as one group; absent: one. */
  instances?: number;
  /** Set for a `runtime: docker` release: its image and how its containers run. */
  container?: ReleaseContainer;
}

export interface ReleaseContainer {
  /** Image id (`sha256:…`). */
  image: string;
  /** `<server>/<repository>@sha256:…` when `pull` (from a registry), else the local tag. */
  ref: string;
  pull: boolean;
  socket: string;
  memoryBytes: number | null;
  cpus: number | null;
  /** Named volumes, name → mount path; absent: none. */
  volumes?: Record<string, string>;
  /** Who hosts pull as (names only); absent for a registry without a login. */
  login?: RegistryLogin;
}

export type PlannedStrategy =
  | { kind: 'blue-green'; keepWarmMs: number; drainTimeoutMs: number }
  | { kind: 'recreate'; drainTimeoutMs: number }
  | RollingStrategy
  | {
      kind: 'canary';
      steps: CanaryStepPlan[];
      analysis: AnalysisPlan;
      header: string;
      cookie: string;
      keepWarmMs: number;
      drainTimeoutMs: number;
    };

export interface RollingStrategy {
  kind: 'rolling';
  /** A host count, or a share like "25%". */
  batchSize: number | string;
  maxUnavailable: number | string | null;
  pauseBetweenBatchesMs: number;
  failureBudget: number;
  onBatchFailure: 'rollback-batch' | 'stop';
  keepWarmMs: number;
  drainTimeoutMs: number;
}

/** The edge of an environment, with the app hosts' routers as its upstreams. */
export interface EdgePlan {
  host: string;
  publicPort: number;
  bindAddress: string;
  upstreams: Array<{ id: string; address: string; port: number }>;
  /** How the edge fails over between the upstreams (absent: the agent's defaults). */
  failover?: EdgeFailoverSpec;
}

export type CanaryStepPlan =
  | { setWeight: number }
  | { setHosts: number | string }
  | { pauseMs: number | null }
  | { analysisTimeoutMs: number };

/** What a host runs right now, as its agent reported it. */
export interface HostObservation {
  host: string;
  /** `group`: every target of the active group, when the release runs several instances (`run.instances`). */
  active: { targetId: string; release: string; group?: string[] } | null;
  /** Other targets the router sends users to (a canary's share) or still drains; absent: none. */
  routed?: string[];
  /**
   * The environment's route was found under the key it had before it gained (or dropped) `domains`: its next
   * ensure-route re-keys it (and puts it on, or takes it off, the front door).
   */
  routeKeyChanged?: true;
  targets: Array<{
    targetId: string;
    release: string;
    state: string;
    /** When its keep-warm ends (set by a deployment's keep-warm step, after its switch); null: not kept warm. */
    stopAtMs: number | null;
    /** What the agent last knew (its health check passed when it started, no crash since); absent: unknown. */
    health?: TargetHealth;
    /** A worker process's instance (no port, no route); absent: a web target. */
    process?: WorkerIdentity;
  }>;
  /** False when no agent ran there and none was started (a plan that is only shown): nothing observed. */
  agentRunning?: false;
}

/** The route key of a deployment's environment on its hosts. */
export function routeOfInput(input: Pick<DeployInput, 'app' | 'route'>): string {
  return input.route ?? input.app;
}

/** The prefix of the target ids of a deployment: the app's name, or `<app>_<environment>` with domains. */
export function targetPrefixOf(input: Pick<DeployInput, 'app' | 'route' | 'environment'>): string {
  return input.route === undefined || input.route === input.app
    ? input.app
    : `${input.app}_${input.environment}`;
}

export interface DeployInput {
  app: string;
  /**
   * The key of the environment's route on its hosts (`routeKeyOf`): `<app>@<environment>` for an environment
   * with domains; absent: the app's name.
   */
  route?: string;
  /** The environment's route on its hosts' front door; absent or null: none. */
  frontDoor?: PlannedFrontDoor | null;
  environment: string;
  kind: 'deploy' | 'rollback';
  deploymentId: string;
  hosts: string[];
  publicPort: number;
  bindAddress: string;
  metricsPort: number | null;
  edge: EdgePlan | null;
  strategy: PlannedStrategy;
  release: ReleaseRuntime;
  /** The release serving now (needed to plan the way back); null on a first deploy. */
  previousRelease: ReleaseRuntime | null;
  observed: HostObservation[];
  retainReleases: number;
  nowMs: number;
  /** The environment's approval gate: a deploy (not a rollback) waits for it before changing anything. */
  approval?: ApprovalGate | null;
  /** The environment's verification, when it has `verify:` (a deploy ends with it). */
  verify?: { hosts: string[]; suite: VerifySuitePlan } | null;
  /** A secret rotation: the release that serves everywhere, started again (a canary compares by target). */
  rotation?: Rotation;
  /** The roles of the hosts that have some (`hosts[].roles`): where a worker process with `roles` runs. */
  hostRoles?: Record<string, string[]>;
  /** The environment's hooks, and where users reach it (what a hook is told as SLIPWAY_URL); absent: none. */
  hooks?: { byPoint: PlannedHooks; url: string };
}
