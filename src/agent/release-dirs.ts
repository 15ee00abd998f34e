import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { x as extractTar } from 'tar';
import { SlipwayError } from '../core/errors.js';
import { sanitize } from '../core/ids.js';
import { readJsonIfExists, writeJsonAtomic } from './state-file.js';
import type { ReleaseStatus } from './protocol.js';

const MARKER = '.slipway-release.json';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function releaseDirFor(releasesDir: string, app: string, version: string): string {
  return join(releasesDir, sanitize(app), sanitize(version));
}

/**
 * Unpacks a release artifact into its own directory, once. The artifact's hash is checked first; the directory
 * appears under its final name only when complete (extract to a temp name, then rename).
 */
export async function installReleaseDir(
  releasesDir: string,
  params: { app: string; version: string; artifactPath: string; sha256: string; shared?: string[] },
): Promise<ReleaseStatus & { alreadyInstalled: boolean }> {
  const dir = releaseDirFor(releasesDir, params.app, params.version);
  const marker = await readJsonIfExists<ReleaseStatus>(join(dir, MARKER));
  if (marker?.sha256 === params.sha256) return { ...marker, dir, alreadyInstalled: true };
  if (marker) {
    throw new SlipwayError(
      `release ${params.version} of ${params.app} is installed on this host with other content (${marker.sha256.slice(0, 12)} ≠ ${params.sha256.slice(0, 12)})`,
      { hint: 'release versions are immutable: create a new version' },
    );
  }
  const actual = await sha256File(params.artifactPath).catch((err: unknown) => {
    throw new SlipwayError(`cannot read the release artifact ${params.artifactPath}`, { cause: err });
  });
  if (actual !== params.sha256) {
    throw new SlipwayError(
      `artifact ${params.artifactPath} has hash ${actual.slice(0, 12)}, expected ${params.sha256.slice(0, 12)}`,
      { hint: 'the artifact was changed or damaged: create the release again' },
    );
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await extractTar({ file: params.artifactPath, cwd: tmp, strict: true });
  await linkSharedDirs(tmp, sharedDirFor(releasesDir, params.app), params.shared ?? []);
  const status: ReleaseStatus = { app: params.app, version: params.version, sha256: params.sha256, dir };
  await writeJsonAtomic(join(tmp, MARKER), status, 0o644);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return { ...status, alreadyInstalled: false };
}

/** Where an app's shared directories live on the host: `<agent home>/shared/<app>`, beside its releases. */
export function sharedDirFor(releasesDir: string, app: string): string {
  return join(dirname(releasesDir), 'shared', sanitize(app));
}

/**
 * Links each shared path of a release being installed (`dir`, not live yet) to its directory under `sharedDir`,
 * made (0700) when missing and never removed with releases. What the release packed at that path is replaced (as
 * Capistrano's linked dirs do): the data lives in the shared directory.
 */
async function linkSharedDirs(dir: string, sharedDir: string, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const target = join(sharedDir, path);
    await mkdir(target, { recursive: true, mode: 0o700 });
    const link = join(dir, path);
    await refuseLinkedParents(dir, path);
    await rm(link, { recursive: true, force: true });
    await mkdir(dirname(link), { recursive: true });
    await symlink(target, link, 'dir');
  }
}

/** A shared path below a symlink the release packed would be made (or removed) wherever that link points. */
async function refuseLinkedParents(dir: string, path: string): Promise<void> {
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const parent = join(dir, ...parts.slice(0, i));
    const info = await lstat(parent).catch(() => null);
    if (info?.isSymbolicLink()) {
      throw new SlipwayError(
        `shared path ${path} is below ${parts.slice(0, i).join('/')}, a symlink in the release`,
        {
          hint: 'a shared directory must lie below real directories of the release',
        },
      );
    }
  }
}

export async function listReleaseDirs(releasesDir: string): Promise<ReleaseStatus[]> {
  const out: ReleaseStatus[] = [];
  const apps = await readdir(releasesDir).catch(() => [] as string[]);
  for (const app of apps) {
    const versions = await readdir(join(releasesDir, app)).catch(() => [] as string[]);
    for (const version of versions) {
      const marker = await readJsonIfExists<ReleaseStatus>(join(releasesDir, app, version, MARKER)).catch(
        () => undefined,
      );
      if (marker) out.push({ ...marker, dir: join(releasesDir, app, version) });
    }
  }
  return out;
}

/** Removes the oldest release directories of an app beyond `keep`, never one that `inUse` names. */
export async function pruneReleaseDirs(
  releasesDir: string,
  app: string,
  keep: number,
  inUse: ReadonlySet<string>,
): Promise<string[]> {
  const releases = (await listReleaseDirs(releasesDir)).filter((r) => r.app === app);
  const withTimes = await Promise.all(
    releases.map(async (r) => ({ r, mtimeMs: (await stat(r.dir)).mtimeMs })),
  );
  withTimes.sort((a, b) => b.mtimeMs - a.mtimeMs);
  const removed: string[] = [];
  for (const [index, { r }] of withTimes.entries()) {
    if (index < keep || inUse.has(r.version)) continue;
    await rm(r.dir, { recursive: true, force: true });
    removed.push(r.version);
  }
  return removed;
}
