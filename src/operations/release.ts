import { execFileSync } from 'node:child_process';
import { SlipwayError, UnknownNameError } from '../core/errors.js';
import { createRelease } from '../release/create-release.js';
import type { LoadRegistryPassword } from '../release/package-image.js';
import type { ReleaseRecord } from '../store/index.js';
import type { Project } from '../control-plane/open-project.js';

/**
 * Where `release create` finds the registry password: like a secret of `environment` (default: the first one in
 * slipway.yml), with the secrets' precedence (SLIPWAY_SECRET_<NAME> in the process environment first). A registry
 * password used at build is the build machine's credential.
 */
export function registryPasswordLoader(
  project: Pick<Project, 'config' | 'loadSecrets'>,
  environment?: string,
): LoadRegistryPassword {
  const names = Object.keys(project.config.environments);
  const env = environment ?? names[0];
  if (environment !== undefined && !names.includes(environment)) {
    throw new UnknownNameError(`there is no environment named ${environment}`, {
      hint: `environments: ${names.join(', ')}`,
    });
  }
  return async (secretName) =>
    env === undefined ? undefined : (await project.loadSecrets(env, [secretName])).get(secretName);
}

/**
 * What `slipway release create` does: builds in the project's directory and stores the release, versioned as
 * asked or after the project's git commit.
 */
export async function createProjectRelease(
  project: Project,
  request: { version?: string; environment?: string; onBuildOutput?: (line: string) => void },
): Promise<{ release: ReleaseRecord; created: boolean }> {
  const loadRegistryPassword = registryPasswordLoader(project, request.environment);
  const version = request.version ?? versionFromGit(project.loaded.dir);
  return createRelease({
    config: project.config,
    projectDir: project.loaded.dir,
    stateDir: project.stateDir,
    version,
    store: project.store,
    clock: project.clock,
    actor: project.actor,
    source: gitCommit(project.loaded.dir),
    ...(request.onBuildOutput ? { onBuildOutput: request.onBuildOutput } : {}),
    loadRegistryPassword,
  });
}

function gitCommit(dir: string): string | null {
  try {
    return (
      execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim() || null
    );
  } catch {
    return null;
  }
}

function versionFromGit(dir: string): string {
  try {
    return execFileSync('git', ['describe', '--tags', '--always', '--dirty'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {
    throw new SlipwayError('no --version given and the project is not a git repository with commits', {
      hint: 'pass --version, e.g. slipway release create --version 1.0.0',
    });
  }
}
