import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { c as createTar } from 'tar';
import { DiskFullError, isDiskFullErrno, SlipwayError } from '../core/errors.js';
import { findUnsafeSymlinks, UnsafeSymlinkError } from './check-symlinks.js';

/** Always left out of an artifact. */
const ALWAYS_EXCLUDED = ['.slipway', '.git'];

export interface PackedArtifact {
  sha256: string;
  path: string;
  sizeBytes: number;
  files: number;
}

/**
 * Packs a directory into a content-addressed tarball: entries sorted, times and owners fixed, so the same
 * content always gives the same bytes and the same hash. The file is stored as `<sha256>.tar.gz`.
 */
export async function packageArtifact(
  sourceDir: string,
  artifactsDir: string,
  exclude: readonly string[],
): Promise<PackedArtifact> {
  const info = await stat(sourceDir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new SlipwayError(`the build output ${sourceDir} does not exist or is not a directory`, {
      hint: 'check build.path in slipway.yml and that build.command creates it',
    });
  }
  const excluded = new Set([...ALWAYS_EXCLUDED, ...exclude.map((e) => e.replace(/\/+$/, ''))]);
  const { files, links } = await listFiles(sourceDir, excluded);
  if (files.length === 0) throw new SlipwayError(`the build output ${sourceDir} is empty`);
  await refuseUnsafeSymlinks(sourceDir, files, links);
  const tmp = join(artifactsDir, `.tmp-${process.pid}-${Date.now()}.tar.gz`);
  try {
    await mkdir(artifactsDir, { recursive: true });
    await createTar(
      {
        file: tmp,
        cwd: sourceDir,
        gzip: { level: 6 },
        portable: true,
        mtime: new Date(0),
        noDirRecurse: true,
      },
      files,
    );
    const sha256 = await hashFile(tmp);
    const path = join(artifactsDir, `${sha256}.tar.gz`);
    await rename(tmp, path);
    return { sha256, path, sizeBytes: (await stat(path)).size, files: files.length };
  } catch (error) {
    throw isDiskFullErrno(error) ? new DiskFullError(tmp, { cause: error }) : error;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Checked before anything is written: such a link would only fail when a host unpacks the release. */
async function refuseUnsafeSymlinks(sourceDir: string, files: string[], links: string[]): Promise<void> {
  if (links.length === 0) return;
  const unsafe = await findUnsafeSymlinks(sourceDir, files, new Set(links));
  if (unsafe.length > 0) throw new UnsafeSymlinkError(sourceDir, unsafe);
}

/** The entries to pack, sorted, directories with a trailing `/`; `links` are the symbolic links among them. */
async function listFiles(
  root: string,
  excluded: ReadonlySet<string>,
): Promise<{ files: string[]; links: string[] }> {
  const listed = { files: [] as string[], links: [] as string[] };
  await collectFiles(root, root, excluded, listed);
  return listed;
}

async function collectFiles(
  root: string,
  dir: string,
  excluded: ReadonlySet<string>,
  into: { files: string[]; links: string[] },
): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    const rel = relative(root, full).split(sep).join('/');
    if (excluded.has(rel) || excluded.has(entry.name)) continue;
    if (entry.isDirectory()) {
      into.files.push(`${rel}/`);
      await collectFiles(root, full, excluded, into);
    } else if (entry.isFile()) {
      into.files.push(rel);
    } else if (entry.isSymbolicLink()) {
      into.files.push(rel);
      into.links.push(rel);
    }
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
