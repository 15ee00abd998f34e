import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { SlipwayError } from '../core/errors.js';

const GIT_TIMEOUT_MS = 5 * 60_000;

/**
 * A bare mirror of one branch of a watched repository, kept in the state directory and driven through the
 * `git` CLI (so every transport and credential helper git knows works). Builds run in throwaway worktrees of
 * it, each at one exact commit.
 */
export class GitMirror {
  constructor(
    readonly dir: string,
    readonly url: string,
    readonly branch: string,
  ) {}

  /** The ref the branch is fetched into; a branch named like a tag cannot be confused with it. */
  get ref(): string {
    return `refs/slipway/watched/${this.branch}`;
  }

  /** Fetches the branch and its tags; answers the commit at the tip of the branch. */
  async fetch(): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    await git(this.dir, ['init', '--quiet', '--bare']);
    await git(this.dir, [
      'fetch',
      '--quiet',
      '--force',
      '--no-tags',
      this.url,
      `+refs/heads/${this.branch}:${this.ref}`,
      '+refs/tags/*:refs/tags/*',
    ]);
    return git(this.dir, ['rev-parse', '--verify', `${this.ref}^{commit}`]);
  }

  /** First-parent commits after `since` up to `head`, oldest first; just `head` when `since` is not an ancestor. */
  async commitsSince(since: string | undefined, head: string): Promise<string[]> {
    if (since === undefined || !(await this.isAncestor(since, head))) return [head];
    const out = await git(this.dir, ['rev-list', '--reverse', '--first-parent', `${since}..${head}`]);
    return out.split('\n').filter(Boolean);
  }

  /** Tags that point at the commit, highest version first. */
  async tagsAt(commit: string): Promise<string[]> {
    const out = await git(this.dir, ['tag', '--points-at', commit, '--sort=-v:refname']);
    return out.split('\n').filter(Boolean);
  }

  async countCommits(commit: string): Promise<number> {
    return Number(await git(this.dir, ['rev-list', '--count', commit]));
  }

  /** A detached checkout of exactly `commit` in `dir` (replacing whatever was there). */
  async checkout(commit: string, dir: string): Promise<void> {
    await this.removeCheckout(dir);
    await git(this.dir, ['worktree', 'add', '--quiet', '--force', '--detach', dir, commit]);
  }

  async removeCheckout(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
    await git(this.dir, ['worktree', 'prune']);
  }

  private async isAncestor(a: string, b: string): Promise<boolean> {
    return git(this.dir, ['merge-base', '--is-ancestor', a, b]).then(
      () => true,
      () => false,
    );
  }
}

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd,
        timeout: GIT_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        // Never wait for a password prompt: a watcher has no one to answer it.
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout.trim());
        reject(
          new SlipwayError(
            `git ${args[0] ?? ''} failed: ${stderr.trim().split('\n').slice(-3).join(' ') || error.message}`,
            {
              cause: error,
              hint: 'check that the repository and branch exist and that git can reach them from this machine',
            },
          ),
        );
      },
    );
  });
}
