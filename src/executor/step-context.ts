import type { Clock } from '../core/clock.js';
import type { Secret } from '../core/secret.js';
import type { Host } from '../hosts/host.js';
import type { StepKind, StepOf } from '../plan/steps.js';
import type { MigrationContext } from '../migrate/migration-context.js';
import type { VerificationContext } from '../verify/run-verification.js';
import type { ApprovalWaiter } from './approval-waiter.js';
import type { CanaryController } from './canary-controller.js';

// What a step handler is given and returns: the types every handler (here, in pipeline/, migrate/) is written to.

export interface StepContext {
  hosts: ReadonlyMap<string, Host>;
  /** Secret values by name, revealed only when a target's environment is built. */
  secrets: ReadonlyMap<string, Secret>;
  clock: Clock;
  /** Set by the executor: aborted when the deployment is failed by its guard (steps that wait stop at once). */
  signal: AbortSignal;
  /** Present while a canary deployment runs. */
  canary?: CanaryController;
  /** Present when the plan backs up or migrates the app's database. */
  migrations?: MigrationContext;
  /** Appends an event about this deployment to the ledger (steps that watch or wait report what they saw). */
  ledger?: StepLedger;
  /** Present when the plan waits for approvals. */
  approvals?: ApprovalWaiter;
  /** Where verify steps store their results (the store, the deployment they belong to). */
  verification?: VerificationContext;
  /** Where the control plane keeps the ACME accounts and certificates it obtains for fleets without an edge. */
  certificates?: { dir: string };
  /** Where hooks run: the directory of slipway.yml, the environment of `slipway`, and the deployment's id. */
  hooks?: { cwd: string; env: Readonly<Record<string, string | undefined>>; deploymentId: string };
  /** Set by the executor: says what a waiting step waits for (kept with the running step; `status` shows it). */
  note?: (detail: string) => Promise<void>;
}

export type StepLedger = (event: { kind: string; message: string; data?: unknown }) => Promise<void>;

/** A step's result: a short line for the progress view and data kept with the step in the store. */
export interface StepResult {
  detail?: string;
  output?: Record<string, unknown>;
}

export type StepHandlers = { [K in StepKind]: (step: StepOf<K>, ctx: StepContext) => Promise<StepResult> };
