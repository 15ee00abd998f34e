import type { LedgerEventRecord } from '../store/index.js';
import type { DeploymentOutcome, StepStatus } from '../store/index.js';
import type { Grant } from './auth/roles.js';
import type { JobRecord } from './jobs/job-runner.js';
import type { Plan } from '../plan/steps.js';

/**
 * The JSON the server's HTTP API speaks (base path /api/v1), shared by the server, the dashboard and the CLI's
 * `--server` mode. See docs/server.md for the routes.
 */

/** Every error answer: 400 bad input, 401 no or bad credentials, 403 not allowed (or CSRF), 404, 409, 429, 500, 503. */
export interface ApiError {
  error: string;
  hint?: string;
  /** The request named something that is not there, or a value that cannot be used (the CLI exits 2 on it). */
  badInput?: true;
}

export interface SessionView {
  name: string;
  grants: Grant[];
  via: 'token' | 'session';
  /** For a dashboard session: send it as X-CSRF-Token on every POST/DELETE. Null for tokens. */
  csrfToken: string | null;
}

export type LedgerEventView = LedgerEventRecord;

export interface StepView {
  index: number;
  stage: string;
  /** 'deploy' stages, or the 'on-failure' stages run after a failure. */
  phase: 'deploy' | 'on-failure';
  kind: string;
  title: string;
  host: string;
  status: StepStatus;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  error: string | null;
  /** What a running step waits for (the promotion gate: the verdict, and that it needs a promote); else null. */
  note: string | null;
}

export interface DeploymentView {
  id: string;
  environment: string;
  kind: string;
  release: string;
  previous: string | null;
  strategy: string;
  createdBy: string;
  createdAtMs: number;
  reason: string | null;
  outcome: DeploymentOutcome | null;
  /** Derived from the plan and its steps (e.g. 'running', 'waiting-for-approval', 'paused', 'succeeded'). */
  phase: string;
  finishedAtMs: number | null;
  error: string | null;
}

export interface DeploymentDetailView {
  deployment: DeploymentView;
  steps: StepView[];
  /** The deployment's plan (pure data; secrets by name only): `slipway --server` draws its live view from it. */
  plan?: Plan;
  /** What the viewer may do now on this deployment, given its state and their grants. */
  allowed: { approve: boolean; reject: boolean; promote: boolean; abort: boolean };
}

export interface ReleaseView {
  version: string;
  sha256: string;
  sizeBytes: number;
  createdBy: string;
  createdAtMs: number;
  source: string | null;
  /** Environments whose bake marked it good. */
  goodIn: string[];
}

/** Server-Sent Events on GET /api/v1/events; `id:` is set on ledger events (their seq) for Last-Event-ID. */
export type ServerEvent =
  | { kind: 'ledger'; event: LedgerEventView }
  | {
      kind: 'step';
      deploymentId: string;
      environment: string;
      index: number;
      status: StepStatus;
      startedAtMs: number | null;
      finishedAtMs: number | null;
      error: string | null;
      note: string | null;
    }
  | { kind: 'deployment'; deployment: DeploymentView }
  | { kind: 'job'; job: JobRecord };

export type { JobRecord };

/** One target's router counters (cumulative since the router started it: take rates from successive answers). */
export interface TrafficTargetView {
  targetId: string;
  release: string;
  /** `active`: gets the traffic not split off; `canary`: gets `weight` percent; `draining`; `idle`. */
  role: 'active' | 'canary' | 'draining' | 'idle';
  /** Percent of users routed to this target (100 for the active one without a split). */
  weight: number;
  requests: number;
  errors5xx: number;
  proxyErrors: number;
  inFlight: number;
  latency: { boundsMs: number[]; counts: number[]; sumMs: number | null };
}

/** GET /environments/:env/traffic: the router metrics of each host's agent, read at `atMs`. */
export interface TrafficView {
  environment: string;
  atMs: number;
  hosts: Array<{ host: string; error: string | null; targets: TrafficTargetView[] }>;
}

/** POST /environments/:env/maintenance: what each host did, and the testers' token (on only). */
export type MaintenanceOutcomeView = import('../operations/maintenance.js').MaintenanceOutcome;
/** GET /environments/:env/maintenance: each host's maintenance mode, without the token. */
export type MaintenanceReadView = Awaited<
  ReturnType<typeof import('../operations/maintenance.js').readMaintenance>
>;

/** POST /environments/:env/unlock: the lock that was removed, and its deployment when that never finished. */
export interface UnlockView {
  removed: { holder: string; pid: number; hostname: string; deploymentId: string; acquiredAtMs: number };
  unfinished: { id: string; kind: string; release: string } | null;
}
