import type { Command } from 'commander';
import { SlipwayError } from '../../core/errors.js';
import type { EnvironmentStatus } from '../../operations/collect-status.js';
import type { Plan } from '../../plan/steps.js';
import type { JobRecord, LedgerEventView, ReleaseView } from '../../server/api-types.js';
import { dim, green, red } from '../progress-renderer.js';
import { formatHistoryEvent } from '../format-history.js';
import { printStatus } from '../status.js';
import type { ApiClient } from './api-client.js';
import { followJob } from './follow-job.js';
import { refuseLocalOnlyOptions } from './refuse-local-only.js';
import { countOption } from '../parse-options.js';

type Remote = () => ApiClient;

const env = (name: string): string => `/environments/${encodeURIComponent(name)}`;

/** A line of GET /environments/:env/logs. */
interface RemoteLogLine {
  host: string;
  targetId: string;
  stream: 'out' | 'err';
  line: string;
}

/** The verbs that read over the server (plus `release create`, a build job): same output as the local ones. */
export function registerRemoteReads(program: Command, remote: Remote): void {
  const release = program.command('release').description('create releases (built on the server)');
  release
    .command('create')
    .description("run the build in the server's project and store an immutable release")
    .option(
      '-v, --version <version>',
      "version of the release (default: the git commit of the server's project)",
    )
    .action(async (opts: { version?: string }) => {
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
    });

  program
    .command('releases')
    .description('list the releases on the server, newest first')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
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
    });

  program
    .command('plan')
    .description('print the exact plan of a deployment on the server without running it')
    .argument('<env>', 'environment name')
    .option('-r, --release <version>', 'release to plan for (default: the newest release)')
    .option('--json', 'print the plan as JSON')
    .option('--pipeline', '(local only: refused over --server)')
    .action(async (environment: string, opts: { release?: string; json?: boolean; pipeline?: boolean }) => {
      refuseLocalOnlyOptions('plan', opts, ['pipeline']);
      const answer = await remote().get<{ plan: Plan; text: string }>(`${env(environment)}/plan`, {
        release: opts.release,
      });
      process.stdout.write(opts.json ? `${JSON.stringify(answer.plan, null, 2)}\n` : `${answer.text}\n`);
    });

  program
    .command('status')
    .description('what serves each environment now, as the server sees it')
    .argument('[env]', 'environment name (default: all you may read)')
    .option('--json', 'print as JSON')
    .action(async (environment: string | undefined, opts: { json?: boolean }) => {
      const client = remote();
      const statuses = environment
        ? [await client.get<EnvironmentStatus>(env(environment))]
        : await client.get<EnvironmentStatus[]>('/environments');
      if (opts.json) process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
      else for (const s of statuses) printStatus(s);
    });

  program
    .command('history')
    .description("the server's ledger: who deployed what, where, when, and what happened (newest first)")
    .argument('[env]', 'only this environment')
    .option('-n, --limit <n>', 'how many events', countOption('--limit', 'a number of events', 1), 30)
    .option('--json', 'print as JSON')
    .action(async (environment: string | undefined, opts: { limit: number; json?: boolean }) => {
      const events = await remote().get<LedgerEventView[]>('/ledger', {
        environment,
        limit: opts.limit,
        order: 'time', // as the local history: when it happened, not when it reached the store
      });
      if (opts.json) return void process.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
      if (events.length === 0) process.stdout.write('no events yet\n');
      for (const e of events) process.stdout.write(formatHistoryEvent(e, dim));
    });

  program
    .command('logs')
    .description("print the targets' last output lines, read by the server")
    .argument('<env>', 'environment name')
    .option(
      '-n, --lines <n>',
      'lines from the end of each log',
      countOption('--lines', 'a number of lines', 1),
      50,
    )
    .option('-f, --follow', '(local only: refused over --server)')
    .option('-t, --target <id>', '(local only: refused over --server)')
    .action(async (environment: string, opts: { lines: number; follow?: boolean; target?: string }) => {
      refuseLocalOnlyOptions('logs', opts, ['follow', 'target']);
      const answer = await remote().get<{ lines: RemoteLogLine[] }>(`${env(environment)}/logs`, {
        lines: opts.lines,
      });
      for (const l of answer.lines) {
        process.stdout.write(`${dim(`${l.targetId} │`)} ${l.stream === 'err' ? red(l.line) : l.line}\n`);
      }
    });
}
