import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './project.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'hello');

export interface SourceRepo {
  remote: string;
  work: string;
  commit(message: string, change?: () => void): string;
  tag(name: string): void;
  dispose(): void;
}

export function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.invalid',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.invalid',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
    .toString()
    .trim();
}

/** A bare repository (what `watch` follows) and a clone with the example app's sources to commit from. */
export function createSourceRepo(): SourceRepo {
  const root = mkdtempSync(join(tmpdir(), 'sw-git-'));
  const remote = join(root, 'remote.git');
  const work = join(root, 'work');
  git(root, ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  git(root, ['init', '--quiet', '--initial-branch=main', work]);
  for (const file of ['build.js', 'server.js', 'package.json']) cpSync(join(EXAMPLE, file), join(work, file));
  git(work, ['remote', 'add', 'origin', remote]);
  return {
    remote,
    work,
    commit(message, change) {
      change?.();
      git(work, ['add', '-A']);
      git(work, ['commit', '--quiet', '--allow-empty', '-m', message]);
      git(work, ['push', '--quiet', '--follow-tags', 'origin', 'main']);
      return git(work, ['rev-parse', 'HEAD']);
    },
    tag(name) {
      git(work, ['tag', name]);
      git(work, ['push', '--quiet', 'origin', name]);
    },
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}
