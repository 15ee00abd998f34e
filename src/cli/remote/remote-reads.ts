import { InputError, SlipwayError } from '../../core/errors.js';
import type { EnvironmentStatus } from '../../operations/collect-status.js';
import type { Plan } from '../../plan/steps.js';
import type { JobRecord, LedgerEventView, ReleaseView } from '../../server/api-types.js';
import { dim, green, red } from '../progress-renderer.js';
import { formatHistoryEvent } from '../format-history.js';
import { printStatus } from '../print-status.js';
import type { ApiClient } from './api-client.js';
import { followJob } from './follow-job.js';

type Remote = () => ApiClient;

const env = (name: string): string => `/environments/${encodeURIComponent(name)}`;

/** A line of GET /environments/:env/logs. */
interface RemoteLogLine {
  host: string;
  targetId: string;
  stream: 'out' | 'err';
  line: string;
}

// The verbs that read over the server (plus `release create`, a build job), with the same output as the local ones;
// declared with their options in ../shared-verbs.ts.

export const releaseCreateOnServer =
  (remote: Remote) =>
  async (opts: { version?: string; environment?: string }): Promise<void> => {
    if (opts.environment) {
      throw new InputError(
        '--environment is not sent to a server: it pushes with its own registry password',
        {
          hint: "the server looks the password up in its process environment, then in its first environment's secrets",
        },
      );
    }
    const client = remote();
    const job = await client.post<JobRecord>('/releases', opts.version ? { version: opts.version } : {});
    process.stdout.write(dim(`release job ${job.id} queued on ${client.server}; building there…\n`));
    const result = await followJob(
      client,
      { jobId: job.id, deploymentId: null },
      { reporter: { report: () => undefined }, signal: new AbortController().signal },
    );
    const done = result.job;
    if (!done || done.state !== 'succeeded' || !done.release) {
      throw new SlipwayError(
        `the release build failed on the server: ${done?.error ?? 'no release was made'}`,
      );
    }
    const [made] = await client
      .get<ReleaseView[]>('/releases', { q: done.release, limit: 20 })
      .then((rs) => rs.filter((r) => r.version === done.release));
    process.stdout.write(
      green(
        `✔ release ${done.release} ${made ? `stored: ${made.sha256.slice(0, 12)}, ${made.sizeBytes} bytes` : 'stored'}\n`,
      ),
    );
  };

export const releasesOnServer =
  (remote: Remote) =>
  async (opts: { json?: boolean }): Promise<void> => {
    const releases = await remote().get<ReleaseView[]>('/releases');
    if (opts.json) return void process.stdout.write(`${JSON.stringify(releases, null, 2)}\n`);
    if (releases.length === 0) {
      process.stdout.write('no releases yet; create one with: slipway release create --version 1.0.0\n');
      return;
    }
    for (const r of releases) {
      process.stdout.write(
        `${r.version.padEnd(16)} ${r.sha256.slice(0, 12)}  ${String(r.sizeBytes).padStart(9)} B  ${new Date(r.createdAtMs).toISOString()}  ${r.createdBy}${r.source ? `  ${r.source}` : ''}${r.goodIn.length ? green(`  good in ${r.goodIn.join(', ')}`) : ''}\n`,
      );
    }
  };

export const planOnServer =
  (remote: Remote) =>
  async (
    environment: string | undefined,
    opts: { release?: string; json?: boolean; pipeline?: boolean },
  ): Promise<void> => {
    // --pipeline, which plans without an environment, is refused over the server (shared-verbs.ts).
    if (environment === undefined)
      throw new InputError('name an environment (--pipeline works without --server only)');
    const answer = await remote().get<{ plan: Plan; text: string }>(`${env(environment)}/plan`, {
      release: opts.release,
    });
    process.stdout.write(opts.json ? `${JSON.stringify(answer.plan, null, 2)}\n` : `${answer.text}\n`);
  };

export const statusOnServer =
  (remote: Remote) =>
  async (environment: string | undefined, opts: { json?: boolean }): Promise<void> => {
    const client = remote();
    const statuses = environment
      ? [await client.get<EnvironmentStatus>(env(environment))]
      : await client.get<EnvironmentStatus[]>('/environments');
    if (opts.json) process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
    else for (const s of statuses) printStatus(s);
  };

export const historyOnServer =
  (remote: Remote) =>
  async (environment: string | undefined, opts: { limit: number; json?: boolean }): Promise<void> => {
    const events = await remote().get<LedgerEventView[]>('/ledger', {
      environment,
      limit: opts.limit,
      order: 'time', // as the local history: when it happened, not when it reached the store
    });
    if (opts.json) return void process.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
    if (events.length === 0) process.stdout.write('no events yet\n');
    for (const e of events) process.stdout.write(formatHistoryEvent(e, dim));
  };

export const logsOnServer =
  (remote: Remote) =>
  async (environment: string, opts: { follow?: boolean; lines: number; target?: string }): Promise<void> => {
    const answer = await remote().get<{ lines: RemoteLogLine[] }>(`${env(environment)}/logs`, {
      lines: opts.lines,
    });
    for (const l of answer.lines) {
      process.stdout.write(`${dim(`${l.targetId} │`)} ${l.stream === 'err' ? red(l.line) : l.line}\n`);
    }
  };
