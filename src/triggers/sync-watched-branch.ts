import { join } from 'node:path';
import type { Project } from '../control-plane/open-project.js';
import { createRelease } from '../release/create-release.js';
import { registryPasswordLoader } from '../operations/release.js';
import { deriveReleaseVersion } from './derive-release-version.js';
import type { ExecutionResult } from '../executor/execute-plan.js';
import { GitMirror } from './git-mirror.js';
import type { WatchTarget } from './resolve-watch-target.js';

/** More new commits than this in one pass: the newest are built, the older ones skipped (and said so). */
export const MAX_COMMITS_PER_PASS = 10;

export type CommitOutcome =
  | { kind: 'built'; commit: string; version: string }
  | { kind: 'build-failed'; commit: string; version: string; error: string }
  | { kind: 'seen-before'; commit: string; version: string | null; built: boolean };

export interface SyncResult {
  head: string;
  commits: CommitOutcome[];
  skipped: string[];
  /** The release that entered the pipeline, and how its deployment ended. */
  /** False when the deployment could not start (lock, preflight): the next pass tries it again. */
  deployed?: { version: string; started: boolean; outcome: string; error?: string };
}

/** A release entering the path to production. */
export interface PipelineEntry {
  /** The first environment of the path: the first of `pipeline:`, else `watch.environment` or the only one. */
  environment: string;
  version: string;
  reason: string;
}

export interface SyncIo {
  /** Progress lines for the operator (build output, what is built and deployed). */
  say(line: string): void;
  /** Deploys a release built by this pass (the CLI's: preflight, then the deployment through the gates). */
  enter(entry: PipelineEntry): Promise<ExecutionResult>;
  /** Why this pass runs, for the ledger and the deployment's reason, e.g. "poll" or "push <delivery id>". */
  trigger: string;
}

/**
 * One pass of continuous deployment: fetch the branch; build every commit not seen before into a release
 * (in a checkout of exactly that commit); then send the newest release built to the pipeline. A failing build
 * is recorded and does not stop the pass. Returns what happened; throws only when git cannot fetch.
 */
export async function syncWatchedBranch(
  project: Project,
  target: WatchTarget,
  io: SyncIo,
): Promise<SyncResult> {
  const { app } = project.config;
  const mirror = new GitMirror(join(target.workDir, 'mirror.git'), target.repo, target.branch);
  const head = await mirror.fetch();
  const last = await project.store.getWatchHead(app, target.key);
  if (head === last) return { head, commits: [], skipped: [] };

  const all = await mirror.commitsSince(last, head);
  const fresh = all.slice(-MAX_COMMITS_PER_PASS);
  const skipped = all.slice(0, all.length - fresh.length);
  if (skipped.length > 0)
    io.say(`${skipped.length} older new commit(s) skipped; building the newest ${fresh.length}`);

  const commits: CommitOutcome[] = [];
  for (const commit of fresh) {
    const seen = await project.store.getWatchedCommit(app, target.key, commit);
    if (seen) {
      commits.push({ kind: 'seen-before', commit, version: seen.version, built: seen.status === 'built' });
      continue;
    }
    commits.push(await buildCommit(project, target, mirror, commit, io));
  }
  const newest = newestRelease(commits);
  const deployed = newest ? await deploy(project, target, newest, io) : undefined;
  // The head moves on once its newest release went into a deployment (whatever its outcome), so a deploy
  // that could not start (the environment was locked, a host failed its preflight) is tried again next pass.
  if (!deployed || deployed.started) {
    await project.store.setWatchHead(app, target.key, head, project.clock.nowMs());
  }
  return { head, commits, skipped, ...(deployed ? { deployed } : {}) };
}

/** The release of the newest commit that built, in this pass or an earlier one. */
function newestRelease(commits: CommitOutcome[]): { commit: string; version: string } | undefined {
  for (const c of [...commits].reverse()) {
    if (c.kind === 'built') return c;
    if (c.kind === 'seen-before' && c.built && c.version !== null)
      return { commit: c.commit, version: c.version };
  }
  return undefined;
}

async function buildCommit(
  project: Project,
  target: WatchTarget,
  mirror: GitMirror,
  commit: string,
  io: SyncIo,
): Promise<CommitOutcome> {
  const { app } = project.config;
  const version = deriveReleaseVersion(
    {
      sha: commit,
      branch: target.branch,
      tags: await mirror.tagsAt(commit),
      count: await mirror.countCommits(commit),
    },
    target.versionTemplate,
  );
  const checkout = join(target.workDir, 'builds', commit);
  io.say(`building ${commit.slice(0, 12)} of ${target.branch} as release ${version}`);
  try {
    await mirror.checkout(commit, checkout);
    await createRelease({
      config: project.config,
      projectDir: join(checkout, target.path),
      stateDir: project.stateDir,
      version,
      store: project.store,
      clock: project.clock,
      actor: project.actor,
      source: commit,
      onBuildOutput: (line) => io.say(`  build │ ${line}`),
      loadRegistryPassword: registryPasswordLoader(project),
    });
    await project.store.recordWatchedCommit({
      app,
      watch: target.key,
      commit,
      status: 'built',
      version,
      atMs: project.clock.nowMs(),
    });
    return { kind: 'built', commit, version };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    await project.store.recordWatchedCommit({
      app,
      watch: target.key,
      commit,
      status: 'failed',
      version,
      atMs: project.clock.nowMs(),
    });
    await project.store.appendEvent({
      atMs: project.clock.nowMs(),
      actor: project.actor,
      app,
      environment: target.environment,
      kind: 'watch.build-failed',
      release: version,
      message: `build of ${commit.slice(0, 12)} (${target.branch}) as ${version} failed: ${error}`,
      data: { commit, branch: target.branch, trigger: io.trigger },
    });
    io.say(`✖ build of ${commit.slice(0, 12)} failed: ${error}`);
    return { kind: 'build-failed', commit, version, error };
  } finally {
    await mirror.removeCheckout(checkout).catch(() => undefined);
  }
}

async function deploy(
  project: Project,
  target: WatchTarget,
  built: { commit: string; version: string },
  io: SyncIo,
): Promise<NonNullable<SyncResult['deployed']>> {
  const reason = `commit ${built.commit.slice(0, 12)} on ${target.branch} (${io.trigger})`;
  const startedAtMs = project.clock.nowMs();
  try {
    const result = await io.enter({
      environment: target.environment,
      version: built.version,
      reason,
    });
    return { version: built.version, started: true, outcome: result.outcome };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    // A deployment that ran has its own ledger events; one that could not start (a lock, a preflight) has not.
    const [latest] = await project.store.listDeployments({
      app: project.config.app,
      environment: target.environment,
      limit: 1,
    });
    const ran = latest?.releaseVersion === built.version && latest.createdAtMs >= startedAtMs;
    if (ran) return { version: built.version, started: true, outcome: latest.outcome ?? 'failed', error };
    await project.store.appendEvent({
      atMs: project.clock.nowMs(),
      actor: project.actor,
      app: project.config.app,
      environment: target.environment,
      kind: 'watch.deploy-failed',
      release: built.version,
      message: `release ${built.version} (${reason}) did not deploy: ${error}`,
      data: { commit: built.commit, trigger: io.trigger },
    });
    return { version: built.version, started: false, outcome: 'failed', error };
  }
}
