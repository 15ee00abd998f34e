import type { HealthCheckSpec } from '../agent/protocol.js';

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
  | PruneReleasesStep;

export interface InstallReleaseStep {
  kind: 'install-release';
  host: string;
  app: string;
  release: string;
  sha256: string;
  /** Path of the artifact in the control plane's artifact store. */
  artifact: string;
}

export interface EnsureRouteStep {
  kind: 'ensure-route';
  host: string;
  app: string;
  publicPort: number;
  bindAddress: string;
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
}

export interface WaitHealthyStep {
  kind: 'wait-healthy';
  host: string;
  targetId: string;
  release: string;
  path: string;
  timeoutMs: number;
}

export interface SwitchTrafficStep {
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
}

export type StepKind = Step['kind'];
export type StepOf<K extends StepKind> = Extract<Step, { kind: K }>;

export interface Stage {
  name: string;
  steps: Step[];
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

export interface Plan {
  app: string;
  environment: string;
  kind: 'deploy' | 'rollback';
  strategy: 'blue-green' | 'recreate';
  deploymentId: string;
  release: PlannedRelease;
  previous: { release: string; targetId: string } | null;
  stages: Stage[];
  /** Run when a stage fails, to leave users on what served before (every step is safe to run regardless). */
  onFailure: Stage[];
  rollback: RollbackPreview | null;
}
