import { lstat, readlink } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import { ConfigError } from '../core/errors.js';

/** Links followed before a chain counts as a loop (Linux gives up after 40 too). */
const MAX_HOPS = 40;

export type UnsafeSymlink = {
  /** The link, relative to the build output (`/`-separated). */
  path: string;
  /** What it points at, as written in the link. */
  target: string;
} & (
  | { reason: 'absolute' }
  | { reason: 'outside' }
  /** Hosts unpack with node-tar, which refuses a link whose target passes through a link unpacked before it. */
  | { reason: 'through-link'; via: string }
);

/**
 * Symbolic links in build.path that a release cannot hold: absolute ones, ones that lead outside build.path, and
 * ones a host cannot unpack. Each would only fail (or point at the host's own files) once the release is
 * deployed. A bad input, so a ConfigError (exit 2), with a one-line message naming the link.
 */
export class UnsafeSymlinkError extends ConfigError {
  readonly links: readonly UnsafeSymlink[];
  constructor(sourceDir: string, links: readonly UnsafeSymlink[]) {
    const [first, ...more] = links;
    const message =
      `the build output ${sourceDir} holds ${first ? describeLink(first) : 'an unsafe symbolic link'}` +
      (more.length > 0 ? ` (and ${more.length} more: ${more.map((l) => l.path).join(', ')})` : '');
    super([{ path: 'build.path', message }], {
      hint: 'a link in build.path must be relative and lead inside it, not through another link; copy the file in instead (e.g. in build.command). No release was stored',
    });
    this.message = message;
    this.links = links;
  }
}

function describeLink(link: UnsafeSymlink): string {
  const what = `symbolic link ${link.path} -> ${link.target}`;
  switch (link.reason) {
    case 'absolute':
      return `an absolute ${what}`;
    case 'outside':
      return `a ${what} that leads outside it`;
    case 'through-link':
      return `a ${what} through the symbolic link ${link.via}, which a host cannot unpack`;
  }
}

/**
 * The unsafe links among `entries` (the artifact's entries in archive order, directories with a trailing `/`;
 * `links` says which are symbolic links), all relative to `root`.
 */
export async function findUnsafeSymlinks(
  root: string,
  entries: readonly string[],
  links: ReadonlySet<string>,
): Promise<UnsafeSymlink[]> {
  const unpacked = new Map<string, 'link' | 'other'>();
  const unsafe: UnsafeSymlink[] = [];
  for (const entry of entries) {
    const path = entry.replace(/\/$/, '');
    if (!links.has(path)) {
      unpacked.set(path, 'other');
      continue;
    }
    const target = await readlink(join(root, path));
    const problem = isAbsolute(target)
      ? { reason: 'absolute' as const }
      : (checkAsUnpacked(path, target, unpacked) ?? (await checkAsFollowed(root, path)));
    if (problem) unsafe.push({ path, target, ...problem });
    unpacked.set(path, 'link');
  }
  return unsafe;
}

/**
 * What node-tar (strict, as the agent unpacks) refuses for a link, read as written: a target that climbs above
 * the release, or one whose path goes through (or ends at) a link already unpacked.
 */
function checkAsUnpacked(
  path: string,
  target: string,
  unpacked: ReadonlyMap<string, 'link' | 'other'>,
): { reason: 'outside' } | { reason: 'through-link'; via: string } | undefined {
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  if (resolved === '..' || resolved.startsWith('../')) return { reason: 'outside' };
  if (resolved === '.') return undefined;
  let prefix = '';
  for (const part of resolved.split('/')) {
    prefix = prefix === '' ? part : `${prefix}/${part}`;
    const kind = unpacked.get(prefix);
    if (kind === undefined) return undefined; // not there yet: node-tar stops looking
    if (kind === 'link') return { reason: 'through-link', via: prefix };
  }
  return undefined;
}

/**
 * Whether the link leads above `root` once every link on the way is followed, as the kernel follows them on a
 * host: `here -> .` then `up -> here/../x` reads as `x` but leaves root. A chain that loops leads nowhere, and a
 * dangling link inside root is not an escape either.
 */
async function checkAsFollowed(root: string, linkPath: string): Promise<{ reason: 'outside' } | undefined> {
  const pending = linkPath.split('/');
  const at: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() ?? '';
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (at.length === 0) return { reason: 'outside' };
      at.pop();
      continue;
    }
    const here = join(root, ...at, part);
    const info = await lstat(here).catch(() => undefined);
    if (!info?.isSymbolicLink()) {
      at.push(part);
      continue;
    }
    if (++hops > MAX_HOPS) return undefined;
    const next = await readlink(here);
    // An absolute link on the way is reported for itself; through it, this one leads outside.
    if (isAbsolute(next)) return { reason: 'outside' };
    pending.unshift(...next.split('/'));
  }
  return undefined;
}
