import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
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
  params: { app: string; version: string; artifactPath: string; sha256: string },
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
  const status: ReleaseStatus = { app: params.app, version: params.version, sha256: params.sha256, dir };
  await writeJsonAtomic(join(tmp, MARKER), status, 0o644);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return { ...status, alreadyInstalled: false };
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
