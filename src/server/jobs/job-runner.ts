/**
 * The server's work queue, shared by every replica on one store. A long mutation (deploy, rollback, resume,
 * release build) becomes a job; exactly one replica claims it and runs it, heartbeating while it runs; a job
 * whose replica stopped heartbeating is taken over by another replica, which resumes it from the ledger.
 * (Interface agreed by the API, the worker and the CLI client; the implementation lives beside it.)
 */
export type JobKind = 'deploy' | 'rollback' | 'resume' | 'release';
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface DeployJobPayload {
  release?: string;
  reason?: string;
}
export interface RollbackJobPayload {
  to?: string;
  reason?: string;
}
export interface ReleaseJobPayload {
  version?: string;
}

export type JobRequest =
  | { kind: 'deploy'; environment: string; payload: DeployJobPayload; requestedBy: string }
  | { kind: 'rollback'; environment: string; payload: RollbackJobPayload; requestedBy: string }
  | { kind: 'resume'; environment: string; payload: Record<string, never>; requestedBy: string }
  | { kind: 'release'; environment: null; payload: ReleaseJobPayload; requestedBy: string };

export interface JobRecord {
  id: string;
  kind: JobKind;
  environment: string | null;
  payload: unknown;
  state: JobState;
  requestedBy: string;
  createdAtMs: number;
  /** The replica running it (or that ran it); null while queued. */
  owner: string | null;
  startedAtMs: number | null;
  heartbeatAtMs: number | null;
  finishedAtMs: number | null;
  /** Set as soon as the job's plan has an id (deploy, rollback, resume). */
  deploymentId: string | null;
  /** For a release job: the version created. */
  release: string | null;
  error: string | null;
  /** How many times another replica took it over. */
  takeovers: number;
}

export interface JobRunner {
  /** Records the job (state `queued`); a replica's worker claims it within a poll interval. */
  enqueue(request: JobRequest): Promise<JobRecord>;
  get(id: string): Promise<JobRecord | undefined>;
  /** Newest first. */
  list(query: { environment?: string; limit: number }): Promise<JobRecord[]>;
  /** Starts claiming and running jobs (and heartbeating this replica). */
  start(): void;
  /** Stops claiming; waits for running jobs to reach a resumable point (their steps get an abort signal). */
  stop(): Promise<void>;
}
