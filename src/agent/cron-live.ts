import { redact } from '../core/secret.js';
import type { RuntimeSet } from '../runtime/runtime-set.js';
import type { CronLogsMethod } from './cron-protocol.js';
import { readCronLog, type LiveTarget } from './cron-run.js';
import type { RoutePort } from './routes/route-table.js';

/** The route's live target as a job runs in it; null when the route serves nothing (or is not on this host). */
export async function liveTargetOf(
  route: string,
  routes: RoutePort,
  runtimes: RuntimeSet,
): Promise<LiveTarget | null> {
  const status = (await routes.routes({})).routes.find((r) => r.app === route && r.pool === null);
  const record = status?.active ? runtimes.get(status.active) : undefined;
  if (!record) return null;
  return {
    release: record.spec.release,
    releaseDir: record.releaseDir,
    env: record.spec.env,
    secretEnv: record.spec.secretEnv,
    ...(record.spec.container ? { container: record.spec.container } : {}),
  };
}

/** `cronLogs`: the job's last lines, with the live target's secret values redacted. */
export async function cronLogsOf(
  params: CronLogsMethod['params'],
  logsDir: string,
  routes: RoutePort,
  runtimes: RuntimeSet,
): Promise<CronLogsMethod['result']> {
  const lines = await readCronLog(logsDir, params.route, params.job, params.lines);
  if (lines === null) return { lines: [], found: false };
  const secrets = Object.values((await liveTargetOf(params.route, routes, runtimes))?.secretEnv ?? {});
  return { lines: lines.map((line) => redact(line, secrets)), found: true };
}
