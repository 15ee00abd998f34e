import { createHash } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError, SlipwayError, UnknownNameError } from '../core/errors.js';
import { parseDurationMs } from '../core/duration.js';
import { checkDuration, MAX_TIMER_MS } from '../config/duration-schema.js';
import type { SlipwayConfig } from '../config/schema.js';
import type { WatchConfig } from '../config/watch-schema.js';

/** What one watcher follows and where it keeps its mirror, settled from slipway.yml and the verb's options. */
export interface WatchTarget {
  /** `<repo>#<branch>`: the key of this watch's state in the store. */
  key: string;
  /** What git fetches: an absolute path or a URL. */
  repo: string;
  branch: string;
  /** The app's directory inside the repository. */
  path: string;
  environment: string;
  versionTemplate: string;
  intervalMs: number;
  /** The bare mirror and the build checkouts live here, under the state directory. */
  workDir: string;
  watch: WatchConfig;
}

export interface WatchOverrides {
  repo?: string;
  branch?: string;
  interval?: string;
  env?: string;
}

/** A URL (scheme://…) or scp-like address (user@host:path) is given to git as is; anything else is a path. */
export function isRemoteRepo(repo: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(repo) || /^[^/\s]+@[^/\s:]+:/.test(repo);
}

/** A `--repo` given on the command line is relative to where the command runs, not to slipway.yml. */
export function resolveRepoOption(repo: string | undefined, cwd: string): string | undefined {
  if (repo === undefined || isRemoteRepo(repo) || isAbsolute(repo)) return repo;
  return resolve(cwd, repo);
}

export function resolveWatchTarget(
  config: SlipwayConfig,
  projectDir: string,
  stateDir: string,
  overrides: WatchOverrides,
): WatchTarget {
  const { watch } = config;
  const rawRepo = overrides.repo ?? watch.repo ?? projectDir;
  const repo = isRemoteRepo(rawRepo) || isAbsolute(rawRepo) ? rawRepo : resolve(projectDir, rawRepo);
  const branch = overrides.branch ?? watch.branch;
  const intervalText = overrides.interval ?? watch.interval;
  // `--interval` is not checked by the config's schema: the same bounds here (a timer past them fires at once).
  const problem = checkDuration(intervalText, { allowZero: false, maxMs: MAX_TIMER_MS });
  const intervalMs = parseDurationMs(intervalText);
  if (problem !== undefined || intervalMs === undefined) {
    throw new InputError(`"${intervalText}" is not a usable interval: ${problem ?? 'not a duration'}`, {
      hint: 'e.g. --interval 30s',
    });
  }
  const key = `${repo}#${branch}`;
  return {
    key,
    repo,
    branch,
    path: watch.path,
    environment: chooseEnvironment(config, overrides.env ?? watch.environment),
    versionTemplate: watch.version,
    intervalMs,
    workDir: join(stateDir, 'watch', createHash('sha256').update(key).digest('hex').slice(0, 16)),
    watch,
  };
}

function chooseEnvironment(config: SlipwayConfig, named: string | undefined): string {
  const names = Object.keys(config.environments);
  if (named !== undefined) {
    if (!names.includes(named)) {
      throw new UnknownNameError(`no environment named "${named}" in slipway.yml`, {
        hint: `environments: ${names.join(', ')}`,
      });
    }
    return named;
  }
  // A release enters the pipeline at its first environment, and is promoted from there.
  const first = config.pipeline[0]?.environment;
  if (first !== undefined) return first;
  const [only] = names;
  if (names.length === 1 && only !== undefined) return only;
  throw new SlipwayError('which environment should new commits be deployed to?', {
    hint: `set pipeline: or watch.environment in slipway.yml, or pass --env (environments: ${names.join(', ')})`,
  });
}
