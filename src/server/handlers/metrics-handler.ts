import type { JobState } from '../jobs/job-runner.js';
import type { Handler } from './handler.js';

/** Jobs counted for the jobs gauge: the newest this many (older ones have long finished). */
const JOBS_COUNTED = 1000;

/** GET /metrics: Prometheus text of this replica (and the shared jobs). */
export const getMetrics: Handler = async (c, deps) => {
  const jobsByState: Partial<Record<JobState, number>> = {};
  for (const job of await deps.jobs.list({ limit: JOBS_COUNTED }))
    jobsByState[job.state] = (jobsByState[job.state] ?? 0) + 1;
  const now = deps.project.clock.nowMs();
  const replicas = (await deps.project.store.listReplicas())
    .filter((r) => r.stoppedAtMs === null)
    .map((r) => ({ id: r.id, heartbeatAgeS: Math.max(0, (now - r.heartbeatAtMs) / 1000) }));
  const text = deps.metrics.render({
    sseClients: deps.events.clientCount(),
    jobsByState,
    residentBytes: process.memoryUsage.rss(),
    uptimeS: Math.round(process.uptime()),
    replica: deps.replicaId,
    replicas,
  });
  return c.text(text, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
};
