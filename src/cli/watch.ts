import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import {
  resolveRepoOption,
  resolveWatchTarget,
  type WatchOverrides,
} from '../triggers/resolve-watch-target.js';
import { syncWatchedBranch, type SyncResult } from '../triggers/sync-watched-branch.js';
import { enterPipeline } from './deploy.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim, green, red, yellow } from './progress-renderer.js';

interface WatchOptions extends WatchOverrides {
  once?: boolean;
}

export function registerWatch(program: Command, globals: () => GlobalOptions): void {
  program
    .command('watch')
    .description('follow a git branch: build each new commit into a release and deploy it')
    .option('--repo <path-or-url>', 'repository to follow (default: watch.repo, else the project directory)')
    .option('--branch <name>', 'branch to follow (default: watch.branch)')
    .option('--interval <duration>', 'time between two fetches (default: watch.interval)')
    .option('--env <environment>', 'environment new releases are deployed to (default: watch.environment)')
    .option('--once', 'process the new commits once, then exit')
    .action(async (opts: WatchOptions) => {
      if (opts.once) {
        const result = await runPass(globals(), opts);
        if (!passSucceeded(result.sync)) process.exitCode = 1;
        return;
      }
      await watchUntilStopped(globals(), opts);
    });
}

/** Polls until SIGINT or SIGTERM; a pass in progress finishes first (SIGINT also interrupts its deployment). */
async function watchUntilStopped(globals: GlobalOptions, opts: WatchOptions): Promise<void> {
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) return;
    process.stderr.write(yellow(`${signal}: the watcher stops after the current pass\n`));
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    while (!stop.signal.aborted) {
      let intervalMs = 30_000;
      try {
        const pass = await runPass(globals, opts);
        intervalMs = pass.intervalMs;
      } catch (err) {
        // An unreachable repository or a broken config must not end the watch: say so and try again.
        process.stderr.write(red(`✖ ${err instanceof Error ? err.message : String(err)}\n`));
      }
      await sleep(intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
    process.stdout.write('watcher stopped\n');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Opens the project anew for each pass, so a changed slipway.yml applies from the next commit on. */
async function runPass(
  globals: GlobalOptions,
  opts: WatchOptions,
): Promise<{ sync: SyncResult; intervalMs: number }> {
  return withProject(globals, async (project) => {
    const target = resolveWatchTarget(project.config, project.loaded.dir, project.stateDir, {
      ...opts,
      repo: resolveRepoOption(opts.repo, process.cwd()),
    });
    const sync = await syncWatchedBranch(project, target, {
      trigger: 'watch',
      say: (line) => process.stdout.write(`${line.startsWith('  build') ? dim(line) : line}\n`),
      enter: (entry) => enterPipeline(project, entry),
    });
    printSummary(sync, target.branch, target.environment);
    return { sync, intervalMs: target.intervalMs };
  });
}

function printSummary(sync: SyncResult, branch: string, environment: string): void {
  const short = sync.head.slice(0, 12);
  if (sync.commits.length === 0) {
    process.stdout.write(dim(`${new Date().toISOString()} ${branch} at ${short}: nothing new\n`));
    return;
  }
  for (const c of sync.commits) {
    if (c.kind === 'built')
      process.stdout.write(green(`✔ ${c.commit.slice(0, 12)} → release ${c.version}\n`));
    if (c.kind === 'build-failed')
      process.stdout.write(red(`✖ ${c.commit.slice(0, 12)} → build failed (recorded in the ledger)\n`));
  }
  if (sync.deployed && sync.deployed.outcome !== 'succeeded') {
    process.stderr.write(
      red(
        `✖ release ${sync.deployed.version} → ${environment}: ${sync.deployed.error ?? sync.deployed.outcome}\n`,
      ),
    );
  }
}

function passSucceeded(sync: SyncResult): boolean {
  return (
    sync.commits.every((c) => c.kind !== 'build-failed') &&
    (sync.deployed === undefined || sync.deployed.outcome === 'succeeded')
  );
}
