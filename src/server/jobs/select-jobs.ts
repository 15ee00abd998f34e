import type { JobRecord } from './job-runner.js';

/**
 * Jobs of one lane run one at a time: an environment's deployments (its lock would refuse a second anyway),
 * and release builds (they share the project's build directory).
 */
export function deriveJobLane(job: Pick<JobRecord, 'kind' | 'environment'>): string {
  return job.environment === null ? `release:` : `environment:${job.environment}`;
}

/**
 * The queued jobs a replica may claim now: per lane the oldest queued job, unless a job of that lane is
 * running (on any replica). `queued` is oldest first. Pure: the claim itself is a compare-and-swap in the store.
 */
export function selectClaimableJobs(
  queued: readonly JobRecord[],
  running: readonly Pick<JobRecord, 'kind' | 'environment'>[],
): JobRecord[] {
  const busy = new Set(running.map(deriveJobLane));
  const picked: JobRecord[] = [];
  for (const job of queued) {
    const lane = deriveJobLane(job);
    if (busy.has(lane)) continue;
    busy.add(lane);
    picked.push(job);
  }
  return picked;
}

/** A running job whose owner has not heartbeated for `takeoverAfterMs` (the owner is presumed dead). */
export function isJobOrphaned(
  job: Pick<JobRecord, 'state' | 'owner' | 'heartbeatAtMs'>,
  nowMs: number,
  takeoverAfterMs: number,
): job is Pick<JobRecord, 'state'> & { owner: string; heartbeatAtMs: number } {
  return (
    job.state === 'running' &&
    job.owner !== null &&
    job.heartbeatAtMs !== null &&
    nowMs - job.heartbeatAtMs >= takeoverAfterMs
  );
}
