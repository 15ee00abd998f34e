import type { ContainerSpec, EdgeFailoverSpec, HealthCheckSpec, ImageSpec } from '../agent/protocol.js';
import type { BackupDatabaseStep, MigrateStep } from '../migrate/migration-steps.js';
import type { AwaitWindowStep, BakeStep } from '../pipeline/pipeline-steps.js';
import type { VerifySuitePlan } from '../verify/verify-suite.js';
import type { RunHookStep } from './hook-steps.js';
import type { AlreadyServingHost } from './already-serving.js';
import type { StartWorkerStep, StopWorkerStep, WaitWorkerStep } from './worker-steps.js';
import type { SetScheduleStep } from './schedule-steps.js';
import type { SwitchGroup } from './instance-group.js';

/**
 * The steps a plan is made of. Each is pure data naming its host; the executor has exactly one handler per
 * kind (a new kind without a handler does not compile). Every step is idempotent, so a resumed deployment may
 * run a step again safely. Secrets appear only by name.
 */
export type Step =
  | InstallReleaseStep
  | EnsureRouteStep
  | StartTargetStep
  | WaitHealthyStep
  | SwitchTrafficStep
  | StopTargetStep
  | RetireTargetStep
  | PruneReleasesStep
  | SetWeightStep
  | PauseStep
  | AnalyzeStep
  | EnsureEdgeStep
  | SetEdgeMemberStep
  | ObtainCertificateStep
  | BackupDatabaseStep
  | MigrateStep
  | AwaitWindowStep
  | BakeStep
  | AwaitApprovalStep
  | VerifyStep
  | RunHookStep
  | StartWorkerStep
  | WaitWorkerStep
  | StopWorkerStep
  | SetScheduleStep;

export interface InstallReleaseStep {
  kind: 'install-release';
  host: string;
  app: string;
  release: string;
  sha256: string;
  /** Path of the artifact in the control plane's artifact store. */
  artifact: string;
  /** A container release: the image to make present (the artifact is its `docker save` archive). */
  image?: ImageSpec;
  shared?: string[]; // directories linked into the release directory from the host's shared ones
}

export interface EnsureRouteStep {
  kind: 'ensure-route';
  host: string;
  app: string;
  publicPort: number;
  bindAddress: string;
  /** Loopback port for the agent's Prometheus metrics, when the environment asks for one. */
  metricsPort: number | null;
  /**
   * The host's front door for the environment's `domains` (absent: none, and in plans made before it). The
   * certificates are named by their files on the control plane (resolved paths), read when the step runs: a
   * plan never holds a key.
   */
  frontDoor?: PlannedFrontDoor;
}

/** An environment's route on a host's front door, as planned. */
export interface PlannedFrontDoor {
  names: string[];
  pathPrefix: string;
  httpPort: number;
  httpsPort: number;
  bindAddress: string;
  certificates: Array<{ certFile: string; keyFile: string }>;
  /**
   * `tls.acme`: the router process obtains the certificate (then `certificates` is empty); `shared` (several
   * hosts, no edge): the control plane obtains one for all of them (the `obtain-certificate` step).
   */
  acme?: { directoryUrl: string; email?: string; caBundleFile?: string; shared?: true };
  /** `tls.redirect` (default true) and `tls.hsts`, applied to this route only. */
  redirect?: boolean;
  hsts?: { maxAgeS: number; includeSubDomains: boolean; preload: boolean } | null;
}

export interface StartTargetStep {
  kind: 'start-target';
  host: string;
  app: string;
  release: string;
  targetId: string;
  command: string;
  env: Record<string, string>;
  secretNames: string[];
  stopTimeoutMs: number;
  healthCheck: HealthCheckSpec;
  restart: { initialBackoffMs: number; maxBackoffMs: number };
  /** A container target (`runtime: docker`); absent for a process. */
  container?: ContainerSpec;
}

export interface WaitHealthyStep {
  kind: 'wait-healthy';
  host: string;
  targetId: string;
  release: string;
  path: string;
  timeoutMs: number;
  /** How the target is checked (its start-target step's); absent in plans recorded before it was shown. */
  healthCheck?: HealthCheckSpec;
}

export interface SwitchTrafficStep extends SwitchGroup {
  kind: 'switch-traffic';
  host: string;
  app: string;
  targetId: string;
  release: string;
  drainTimeoutMs: number;
}

export interface StopTargetStep {
  kind: 'stop-target';
  host: string;
  targetId: string;
  release: string;
  drainTimeoutMs: number;
}

export interface RetireTargetStep {
  kind: 'retire-target';
  host: string;
  targetId: string;
  release: string;
  /** How long the target stays warm (running, ready for an instant rollback) before the agent stops it. */
  afterMs: number;
}

export interface PruneReleasesStep {
  kind: 'prune-releases';
  host: string;
  app: string;
  keep: number;
  /** Container releases: old images are pruned through this engine socket too. */
  dockerSocket?: string;
}

/** Canary: send `weight` percent of requests (sticky per user) to the canary target; 0 takes it out. */
export interface SetWeightStep {
  kind: 'set-weight';
  host: string;
  app: string;
  canaryTargetId: string;
  canaryRelease: string;
  weight: number;
  header: string;
  cookie: string;
}

/**
 * The edge router on `host` balances users across the app hosts' routers (`upstreams`). `app` names the edge
 * (`edgeRouteKey`): the app, or `<app>@<environment>` for an environment with domains.
 */
export interface EnsureEdgeStep {
  kind: 'ensure-edge';
  host: string;
  app: string;
  publicPort: number;
  bindAddress: string;
  healthCheck: HealthCheckSpec;
  upstreams: Array<{ id: string; address: string; port: number }>;
  /** Timeouts, retry budget and passive ejection (absent in plans made before it existed: the defaults). */
  failover?: EdgeFailoverSpec;
  /**
   * The environment's `domains` on the edge host's front door (absent: none): the whole fleet behind one name,
   * TLS ended at the edge. Certificates by their files, read when the step runs, as for `ensure-route`.
   */
  frontDoor?: PlannedFrontDoor;
}

/** Takes an app host out of the edge's rotation (its in-flight requests finish first) or puts it back. */
export interface SetEdgeMemberStep {
  kind: 'set-edge-member';
  host: string;
  app: string;
  member: string;
  enabled: boolean;
  drainTimeoutMs: number;
}

/** The host of steps that run in the control plane itself. */
export const CONTROL_PLANE = 'control-plane';

/**
 * A fleet without an edge with `tls.acme`: the control plane obtains one certificate for the environment's names
 * (HTTP-01 answered by every host's front door, so whichever host the CA reaches answers), keeps it, and sends it
 * to every host. Renewed here when due (two thirds of its lifetime), else the stored one is sent again.
 */
export interface ObtainCertificateStep {
  kind: 'obtain-certificate';
  host: typeof CONTROL_PLANE;
  /** The route key on the hosts (`<app>@<environment>`). */
  app: string;
  environment: string;
  hosts: string[];
  publicPort: number;
  bindAddress: string;
  metricsPort: number | null;
  frontDoor: PlannedFrontDoor;
}

/** Wait a while, or (durationMs null) until `slipway promote`; `slipway abort` or a failed analysis ends it. */
export interface PauseStep {
  kind: 'pause';
  host: typeof CONTROL_PLANE;
  durationMs: number | null;
}

/** Wait until the canary analysis gives a successful verdict (failed aborts; inconclusive past timeoutMs pauses). */
export interface AnalyzeStep {
  kind: 'analyze';
  host: typeof CONTROL_PLANE;
  timeoutMs: number;
  /**
   * The promotion gate before the canary takes all traffic (timeoutMs 0): passes on a successful verdict,
   * otherwise waits for `slipway promote` (or a later successful verdict); a promote that ended the wait just
   * before counts. Absent in plans made before the gate existed (they promote after their last step).
   */
  promotionGate?: true;
}

/**
 * Wait until the people the environment's `approvals` require have approved (`slipway approve <deployment>`);
 * a rejection fails the deployment before anything changed.
 */
export interface AwaitApprovalStep {
  kind: 'await-approval';
  host: typeof CONTROL_PLANE;
  /** What is approved, as approvers see it: e.g. "deploy of 1.2.0 to production". */
  subject: string;
  requirements: Array<{ role: string; count: number }>;
  allowSelfApproval: boolean;
  /** An approval older than this does not count; null: approvals never expire. */
  expiresAfterMs: number | null;
}

/**
 * Run the environment's verification suite (smoke, performance, security, compatibility) against it from the
 * control plane and store the result for the release; a failure fails the deployment.
 */
export interface VerifyStep {
  kind: 'verify';
  host: typeof CONTROL_PLANE;
  app: string;
  environment: string;
  release: string;
  /** The environment's hosts (the security check reads their listening ports). */
  hosts: string[];
  suite: VerifySuitePlan;
}

/** What the control plane watches during a canary: the analysis runs in the background through every step. */
export interface CanaryWatch {
  app: string;
  /** The route's key on the hosts when it is not the app's name (an environment with domains). */
  route?: string;
  hosts: string[];
  canary: { release: string; targetId: string };
  stable: { release: string; targetId: string };
  publicPort: number;
  header: string;
  analysis: AnalysisPlan;
}

/** The analysis settings with units resolved (see config/canary-schema.ts for their meaning). */
export interface AnalysisPlan {
  intervalMs: number;
  minRequests: number;
  confidence: number;
  maxErrorRate: number;
  errorRateTolerance: number;
  maxP99Ms: number | null;
  latencyTolerance: number;
  latencyMinDifferenceMs: number;
  probe: { ratePerSecond: number; path: string } | null;
  /** The router ends the split itself on significant evidence (absent in plans made before it existed: on). */
  tripwire?: boolean;
  checks: unknown[];
}

export type StepKind = Step['kind'];
export type StepOf<K extends StepKind> = Extract<Step, { kind: K }>;

export interface Stage {
  name: string;
  steps: Step[];
  /** Rolling updates: the batch this stage belongs to (its failure is handled per batch, see Plan.batches). */
  batch?: number;
  /**
   * A failure here fails the deployment without running the on-failure stages: the new release keeps serving
   * (a verification with `onFailure: keep` leaves it for inspection; the release is blocked from promotion).
   */
  keepOnFailure?: boolean;
}

/**
 * A strategy's stages, in the three places a deployment's other stages go between (src/plan/plan-deploy.ts):
 * - `prepare`: nothing users reach changes (install the release, make sure the edge balances);
 * - `traffic`: from the first target started, stopped or given requests up to the last switch to the new release
 *   (a rolling update's last batch back in its edge included);
 * - `retire`: users are on the new release; the old one is kept warm, then cleaned up.
 */
export interface StrategyStages {
  prepare: Stage[];
  traffic: Stage[];
  retire: Stage[];
}

/** How a rolling update handles failures: per batch, and per host within the failure budget. */
export interface BatchPolicy {
  failureBudget: number;
  onBatchFailure: 'rollback-batch' | 'stop';
  /** Per batch: the stages that put its hosts back on the previous release (filtered per host within the budget). */
  recover: Record<number, Stage[]>;
}

export interface PlannedRelease {
  version: string;
  sha256: string;
}

/** What `slipway rollback` right after this deployment would do. */
export interface RollbackPreview {
  toRelease: string;
  /** While the previous target is warm: only these steps (a switch). */
  warm: { until: string; stages: Stage[] } | null;
  /** Once it was stopped: start the previous release again from its retained artifact. */
  cold: Stage[];
}

/**
 * The deployment id of a plan that is only shown (`slipway plan`), which the ids of the targets it would start end
 * with too (`hello-2.0.0-<new>`: a target id ends with the deployment id's last 6 characters). Ids are given when a
 * deployment runs, and a deploy plans again then, from what runs at that moment: a shown plan says `<new>` rather
 * than print ids that the deploy would not use.
 */
export const NEW_ID = '<new>';

export interface Plan {
  app: string;
  environment: string;
  /** `migrate`: contract migrations run on their own (`slipway migrate <env> --contract`); no traffic moves. */
  kind: 'deploy' | 'rollback' | 'migrate';
  strategy: 'blue-green' | 'recreate' | 'canary' | 'rolling';
  deploymentId: string;
  release: PlannedRelease;
  previous: { release: string; targetId: string } | null;
  stages: Stage[];
  /** Run when a stage fails, to leave users on what served before (every step is safe to run regardless). */
  onFailure: Stage[];
  rollback: RollbackPreview | null;
  /** Present for a rolling update. */
  batches?: BatchPolicy;
  /** Present for a canary: what the background analysis compares, from the first weight until promotion. */
  canary?: CanaryWatch;
  /** Hosts that serve the deployed release already, and what the plan does about each (absent: none). */
  alreadyServing?: AlreadyServingHost[];
  /**
   * The environment's strategy, when the plan goes another way (a rollback of a rolling or canary environment
   * goes back on every host at once; a canary with nothing to compare with goes straight through). Absent when
   * the plan follows the environment's strategy.
   */
  environmentStrategy?: Plan['strategy'];
  /**
   * Hosts whose agent was not running when a plan that is only shown looked (it starts none): planned as running
   * nothing. Absent: every agent answered.
   */
  agentNotRunning?: string[];
  /** A secret rotation (`slipway secrets rotate`): the release that serves, started again with fresh values. */
  rotation?: Rotation;
}

/** The secrets a rotation was asked for (by name, or every one that changed): fresh values, nothing else. */
export interface Rotation {
  secrets: string[];
}
