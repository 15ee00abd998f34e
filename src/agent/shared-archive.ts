import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { c as createTar, t as listTar, x as extractTar } from 'tar';
import { SlipwayError } from '../core/errors.js';
import { sanitize } from '../core/ids.js';
import { sha256File, sharedDirFor } from './release-dirs.js';

/** `archiveShared`: the app's shared directories on this host as one archive, for `slipway data backup`. */
export interface ArchiveSharedMethod {
  params: { app: string };
  /** `path` is on this host (the control plane fetches and then removes it); `files`: how many entries it holds. */
  result: { path: string; sha256: string; sizeBytes: number; files: number };
}

/** `restoreShared`: an uploaded archive of `archiveShared` becomes the app's shared directories on this host. */
export interface RestoreSharedMethod {
  params: { app: string; archive: string; sha256: string; backupId: string };
  /** Where the shared directories that were replaced were kept (null: there were none). */
  result: { keptAt: string | null; files: number };
}

/**
 * Writes a gzipped tar of `<agent home>/shared/<app>` (every shared path of every release, links kept as links)
 * under `<agent home>/backups`, 0600, complete before it has its name. A host without shared directories gives an
 * empty archive.
 */
export async function archiveShared(
  releasesDir: string,
  params: ArchiveSharedMethod['params'],
): Promise<ArchiveSharedMethod['result']> {
  const shared = sharedDirFor(releasesDir, params.app);
  const dir = join(dirname(releasesDir), 'backups');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(
    dir,
    `${sanitize(params.app)}-shared-${Date.now()}-${randomBytes(3).toString('hex')}.tar.gz`,
  );
  const tmp = `${path}.tmp`;
  let files = 0;
  if (existsSync(shared)) {
    await createTar(
      { gzip: true, file: tmp, cwd: shared, portable: true, mode: 0o600, onWriteEntry: () => files++ },
      ['.'],
    );
  } else {
    await createTar({ gzip: true, file: tmp, cwd: dir, portable: true, mode: 0o600 }, []);
  }
  await rename(tmp, path);
  return { path, sha256: await sha256File(path), sizeBytes: (await stat(path)).size, files };
}

/**
 * Replaces the app's shared directories with the archive's content: the archive's hash is checked, it is unpacked
 * beside them (strictly: no entry may leave the directory), and only then swapped in with two renames. What was
 * there is kept, not deleted, as `shared/<app>.before-<backup id>`, so a restore of the wrong backup loses nothing.
 * Release directories link into `shared/<app>/<path>` by path, so they see the restored data at once.
 */
export async function restoreShared(
  releasesDir: string,
  params: RestoreSharedMethod['params'],
): Promise<RestoreSharedMethod['result']> {
  const actual = await sha256File(params.archive).catch((err: unknown) => {
    throw new SlipwayError(`cannot read the uploaded archive ${params.archive}`, { cause: err });
  });
  if (actual !== params.sha256) {
    throw new SlipwayError(
      `the archive ${params.archive} has hash ${actual.slice(0, 12)}, expected ${params.sha256.slice(0, 12)}`,
      { hint: 'the upload was damaged, or the backup file changed since it was taken: nothing was restored' },
    );
  }
  const shared = sharedDirFor(releasesDir, params.app);
  const incoming = `${shared}.restoring-${process.pid}`;
  await rm(incoming, { recursive: true, force: true });
  await mkdir(incoming, { recursive: true, mode: 0o700 });
  let files = 0;
  await listTar({ file: params.archive, onReadEntry: () => files++ });
  await extractTar({ file: params.archive, cwd: incoming, strict: true, preservePaths: false });
  let keptAt: string | null = null;
  if (existsSync(shared)) {
    keptAt = `${shared}.before-${sanitize(params.backupId)}`;
    await rm(keptAt, { recursive: true, force: true });
    await rename(shared, keptAt);
  }
  await rename(incoming, shared);
  return { keptAt, files };
}
