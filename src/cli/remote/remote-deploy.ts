import type { Command } from 'commander';
import type { EnvironmentStatus } from '../../operations/collect-status.js';
import type { JobRecord } from '../../server/api-types.js';
import type { ServingHost } from '../describe-now-serving.js';
import type { ApiClient } from './api-client.js';
import { followWithProgress } from './follow-with-progress.js';
import { refuseLocalOnlyOptions } from './refuse-local-only.js';

type Remote = () => ApiClient;

const env = (name: string): string => `/environments/${encodeURIComponent(name)}`;

/** `deploy`, `rollback` and `follow` over the server: a job is queued, then followed live until it ends. */
export function registerRemoteDeploy(program: Command, remote: Remote): void {
  program
    .command('deploy')
    .description('deploy a release to an environment on the server (live progress; Ctrl-C detaches)')
    .argument('<env>', 'environment name')
    .option('-r, --release <version>', 'release to deploy (default: the newest release)')
    .option('--resume', 'continue the interrupted deployment of this environment')
    .option('--reason <text>', 'why (kept in the ledger)')
    .option('--at <time>', '(local only: refused over --server)')
    .option('--timezone <zone>', '(local only: refused over --server)')
    .option('--override-freeze', '(local only: refused over --server)')
    .action(async (environment: string, opts: DeployOptions) => {
      refuseLocalOnlyOptions('deploy', opts, ['at', 'timezone', 'overrideFreeze']);
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
    });

  program
    .command('rollback')
    .description('go back to the previous (or named) release, on the server (live progress)')
    .argument('<env>', 'environment name')
    .option('--to <version>', 'release to go back to (default: the one that served before the current one)')
    .option('--reason <text>', 'why (kept in the ledger)')
    .option('--down', '(local only: refused over --server)')
    .action(async (environment: string, opts: { to?: string; reason?: string; down?: boolean }) => {
      refuseLocalOnlyOptions('rollback', opts, ['down']);
      const client = remote();
      const job = await client.post<JobRecord>(`${env(environment)}/rollback`, {
        ...(opts.to ? { to: opts.to } : {}),
        ...(opts.reason ? { reason: opts.reason } : {}),
      });
      await followWithProgress(client, { job, deploymentId: null, environment });
    });

  program
    .command('follow')
    .description('follow a deployment running on the server with the live view (after Ctrl-C detached it)')
    .argument('<deployment>', 'deployment id')
    .action(async (deploymentId: string) => {
      await followWithProgress(remote(), { job: null, deploymentId, environment: null });
    });
}

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
  timezone?: string;
  overrideFreeze?: boolean;
}
