import type { EnvironmentStatus } from '../../operations/collect-status.js';
import type { JobRecord } from '../../server/api-types.js';
import type { ServingHost } from '../../operations/deploy.js';
import type { ApiClient } from './api-client.js';
import { followWithProgress } from './follow-with-progress.js';

type Remote = () => ApiClient;

const env = (name: string): string => `/environments/${encodeURIComponent(name)}`;

// `deploy`, `rollback` and `follow` over the server: a job is queued, then followed live until it ends. `deploy` and
// `rollback` are declared in ../shared-verbs.ts (their local-only options are refused there).

export const deployOnServer =
  (remote: Remote) =>
  async (environment: string, opts: DeployOptions): Promise<void> => {
    const client = remote();
    // A resume's heading says what serves now: its stored plan says what served when it was made.
    const serving = opts.resume ? await servingOf(client, environment) : undefined;
    const job = await client.post<JobRecord>(`${env(environment)}/deployments`, {
      ...(opts.release ? { release: opts.release } : {}),
      ...(opts.reason ? { reason: opts.reason } : {}),
      ...(opts.resume ? { resume: true } : {}),
    });
    await followWithProgress(client, {
      job,
      deploymentId: null,
      environment,
      ...(serving ? { serving } : {}),
    });
  };

export const rollbackOnServer =
  (remote: Remote) =>
  async (environment: string, opts: { to?: string; reason?: string; down?: boolean }): Promise<void> => {
    const client = remote();
    const job = await client.post<JobRecord>(`${env(environment)}/rollback`, {
      ...(opts.to ? { to: opts.to } : {}),
      ...(opts.reason ? { reason: opts.reason } : {}),
    });
    await followWithProgress(client, { job, deploymentId: null, environment });
  };

/** `slipway follow <deployment>`, over the server only (declared in create-remote-program.ts). */
export const followOnServer =
  (remote: Remote) =>
  async (deploymentId: string): Promise<void> => {
    await followWithProgress(remote(), { job: null, deploymentId, environment: null });
  };

/** What each host's router serves now, from the server's status of the environment; none when unknown. */
async function servingOf(client: ApiClient, environment: string): Promise<ServingHost[]> {
  try {
    const status = await client.get<EnvironmentStatus>(env(environment));
    return status.hosts.map((h) => ({
      host: h.host,
      release: h.targets.find((t) => t.id === h.route?.active)?.release ?? null,
    }));
  } catch {
    return [];
  }
}

interface DeployOptions {
  release?: string;
  resume?: boolean;
  reason?: string;
  at?: string;
  timezone: string;
  overrideFreeze?: boolean;
}
