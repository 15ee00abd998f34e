// Builds of other revisions for a before/after comparison in one benchmark run: a git revision of this repository
// is cloned into a temp directory and built there (`scripts/build.mjs`, with this checkout's node_modules linked,
// not copied, and its dashboard build copied), so that its dist/ can run beside another one. Used by
// bench/cli-startup.mjs, bench/router-bench.mjs and bench/deploy-switches.mjs.
//
// The revisions come from the environment:
//   BENCH_BEFORE=<rev>  also measure that revision's build ("before");
//   BENCH_AFTER=<rev>   measure that revision's build as "after" instead of this working tree's dist/ ("now").
// Without BENCH_AFTER the "after" side is the working tree as built by `npm run build` (uncommitted changes
// included); naming it (BENCH_AFTER=HEAD, say) measures the committed code only, built the same way as "before".
// A revision is resolved in this repository once (HEAD means its HEAD at that moment) and built once per process;
// the temp clones are removed when the process exits.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The root of this checkout (the working tree the benchmarks live in). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The revisions a benchmark compares, from the environment. `beforeKeys` are read in order, the first one set
 * wins (a benchmark may keep a variable of its own, e.g. BENCH_CLI_BEFORE, before the shared BENCH_BEFORE).
 * @param {NodeJS.ProcessEnv} [env]
 * @param {{ beforeKeys?: string[], afterKeys?: string[] }} [keys]
 * @returns {{ before: string | null, after: string | null }}
 */
export function revisionsFromEnv(env = process.env, keys = {}) {
  const first = (names) => names.map((k) => env[k]?.trim()).find((v) => v) ?? null;
  return {
    before: first(keys.beforeKeys ?? ['BENCH_BEFORE']),
    after: first(keys.afterKeys ?? ['BENCH_AFTER']),
  };
}

/**
 * The builds to measure, "before" first when there is one: `{ label, root, commit, workingTree }`. The last one
 * is the "after" side: `after` built in a temp clone (label "after"), or this working tree (label "now").
 * @param {{ before: string | null, after: string | null }} revisions
 * @param {(line: string) => void} [log]
 */
export function buildsToCompare(revisions, log = () => undefined) {
  const builds = [];
  if (revisions.before) builds.push({ label: 'before', ...buildRevision(revisions.before, log) });
  if (revisions.after) builds.push({ label: 'after', ...buildRevision(revisions.after, log) });
  else builds.push({ label: 'now', ...workingTree() });
  return builds;
}

/** This working tree's build (dist/ as `npm run build` left it), with its commit and whether files changed. */
export function workingTree() {
  let dirty = false;
  try {
    dirty =
      execFileSync('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--untracked-files=no'], {
        encoding: 'utf8',
      }).trim() !== '';
  } catch {
    // not a git checkout: no commit to name either
  }
  return { root: REPO_ROOT, commit: `${gitHead(REPO_ROOT)}${dirty ? '+changes' : ''}`, workingTree: true };
}

/** @type {Map<string, { root: string, commit: string, workingTree: false }>} by full commit id */
const built = new Map();
/** @type {string[]} every temp clone made, to remove at exit */
const clones = [];

/**
 * A clone of this repository at `revision` (anything `git rev-parse` takes: a short id, HEAD~3, a tag), built in
 * a temp directory with this checkout's node_modules (linked). Built once per process; removed at exit.
 * @param {string} revision
 * @param {(line: string) => void} [log]
 * @returns {{ root: string, commit: string, workingTree: false }}
 */
export function buildRevision(revision, log = () => undefined) {
  const full = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', '--verify', `${revision}^{commit}`], {
    encoding: 'utf8',
  }).trim();
  const cached = built.get(full);
  if (cached) return cached;
  if (clones.length === 0) process.once('exit', removeBuilds);
  const root = mkdtempSync(join(tmpdir(), 'sw-bench-rev-'));
  clones.push(root);
  const entry = { root, commit: full.slice(0, 7), workingTree: /** @type {const} */ (false) };
  log(`  building ${revision} (${entry.commit}) in ${root}`);
  const started = performance.now();
  execFileSync('git', ['clone', '-q', '--no-checkout', REPO_ROOT, root]);
  execFileSync('git', ['-C', root, 'checkout', '-q', '--detach', full]);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  // The dashboard is not what is measured: reuse this checkout's build instead of running Vite again.
  if (existsSync(join(REPO_ROOT, 'dist', 'web'))) {
    cpSync(join(REPO_ROOT, 'dist', 'web'), join(root, 'dist', 'web'), { recursive: true });
  }
  try {
    execFileSync(process.execPath, ['scripts/build.mjs'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (err) {
    throw new Error(`building ${revision} (${entry.commit}) failed: ${err.stderr || err.stdout || err}`);
  }
  built.set(full, entry);
  log(`  built ${entry.commit} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return entry;
}

/** Removes the temp clones built so far (also done when the process exits). */
export function removeBuilds() {
  for (const root of clones.splice(0)) rmSync(root, { recursive: true, force: true });
  built.clear();
}

/** The short commit id checked out in `root`, or 'unknown'. */
export function gitHead(root) {
  try {
    return execFileSync('git', ['-C', root, 'rev-parse', '--short=7', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
