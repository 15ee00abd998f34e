/**
 * Worker processes (docs/processes.md, "Worker processes"): targets that get no requests. What the agent is told
 * of them, apart from the rest of its protocol.
 */

/** Which process of the app, and which of its instances on the host, a target is. */
export interface WorkerIdentity {
  name: string;
  /** From 1. */
  instance: number;
}

/** How a new worker proves itself: it stays up `settleMs`, then `command` (if any) exits 0 within `timeoutMs`. */
export interface WorkerCheckSpec {
  settleMs: number;
  /** Run through `sh -c` in the release directory with the worker's environment (processes only). */
  command?: string;
  timeoutMs?: number;
}

/**
 * Waits until a worker target is healthy by its check (see WorkerCheckSpec): the answer says how it went and why
 * not (its exit and the tail of its stderr, or the check's output). Newer agents only.
 */
export interface WaitWorkerMethod {
  /**
   * `acceptHealthy`: a worker that runs and passed its check before, with no crash since, is healthy at once (the
   * way back on failure finds the old workers so when nothing stopped them).
   */
  params: { id: string; check: WorkerCheckSpec; acceptHealthy?: boolean };
  result: { healthy: boolean; reason?: string; tookMs: number };
}
