import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installReleaseDir } from '../agent/release-dirs.js';
import { ConfigError, DiskFullError } from '../core/errors.js';
import { mountTinyDisk } from '../../test/helpers/tiny-disk.js';
import { UnsafeSymlinkError } from './check-symlinks.js';
import { packageArtifact } from './package-artifact.js';

// Real directories with real symbolic links, packed by the real packer and unpacked as an agent unpacks them.

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-pack-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A project with a build output `dist/` holding server.js, and a file beside dist/ that is not packed. */
function project(): { dir: string; dist: string; artifacts: string } {
  const dir = tempDir();
  const dist = join(dir, 'dist');
  mkdirSync(join(dist, 'lib'), { recursive: true });
  writeFileSync(join(dist, 'server.js'), 'console.log("hi")\n');
  writeFileSync(join(dist, 'lib', 'util.js'), 'module.exports = 1\n');
  writeFileSync(join(dir, 'secret.env'), 'TOKEN=never packed\n');
  return { dir, dist, artifacts: join(dir, '.slipway', 'artifacts') };
}

async function refusal(dist: string, artifacts: string): Promise<UnsafeSymlinkError> {
  const error = await packageArtifact(dist, artifacts, []).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnsafeSymlinkError);
  return error as UnsafeSymlinkError;
}

describe('packageArtifact: symbolic links in build.path', () => {
  it.each([
    [
      'an absolute link',
      'config.env',
      '/etc/hostname',
      'an absolute symbolic link config.env -> /etc/hostname',
    ],
    [
      'an absolute link to a file inside build.path',
      'lib/again.js',
      '<dist>/server.js',
      'an absolute symbolic link lib/again.js -> <dist>/server.js',
    ],
    [
      'a relative link above build.path',
      'secret.env',
      '../secret.env',
      'a symbolic link secret.env -> ../secret.env that leads outside it',
    ],
    [
      'a link that climbs out from a subdirectory',
      'lib/up',
      '../../secret.env',
      'a symbolic link lib/up -> ../../secret.env that leads outside it',
    ],
  ])('refuses %s, naming it, before any artifact is written', async (_case, link, target, described) => {
    const { dist, artifacts } = project();
    symlinkSync(target.replace('<dist>', dist), join(dist, link));

    const error = await refusal(dist, artifacts);

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`the build output ${dist} holds ${described.replace('<dist>', dist)}`);
    expect(error.message).not.toContain('\n');
    expect(error.issues).toEqual([{ path: 'build.path', message: error.message }]);
    expect(error.hint).toMatch(/No release was stored/);
    expect(existsSync(artifacts) ? readdirSync(artifacts) : []).toEqual([]);
  });

  it('follows the links on the way as a host would: `here -> .` then `up -> here/../x` leaves build.path', async () => {
    const { dist, artifacts } = project();
    symlinkSync('.', join(dist, 'here'));
    symlinkSync('here/../secret.env', join(dist, 'up'));

    const error = await refusal(dist, artifacts);

    expect(error.links).toEqual([{ path: 'up', target: 'here/../secret.env', reason: 'outside' }]);
  });

  it.each([
    ['a link through a directory link unpacked before it', 'lib', 'current', 'util.js', 'current/util.js'],
    ['a link to a link unpacked before it', 'server.js', 'a.js', 'b.js', 'a.js'],
  ])('refuses %s, which a host cannot unpack', async (_case, firstTarget, first, second, secondTarget) => {
    const { dist, artifacts } = project();
    symlinkSync(firstTarget, join(dist, first));
    symlinkSync(secondTarget, join(dist, second));

    const error = await refusal(dist, artifacts);

    expect(error.message).toBe(
      `the build output ${dist} holds a symbolic link ${second} -> ${secondTarget} through the symbolic link ${first}, which a host cannot unpack`,
    );
  });

  it('names every bad link in one line: the first in full, the others by path', async () => {
    const { dist, artifacts } = project();
    symlinkSync('/etc/hostname', join(dist, 'a'));
    symlinkSync('../../secret.env', join(dist, 'lib', 'b'));
    symlinkSync('/etc', join(dist, 'c'));

    const error = await refusal(dist, artifacts);

    expect(error.message).toBe(
      `the build output ${dist} holds an absolute symbolic link a -> /etc/hostname (and 2 more: c, lib/b)`,
    );
  });

  it('packs links that stay inside build.path, and a host unpacks them as they were', async () => {
    const { dist, artifacts } = project();
    symlinkSync('server.js', join(dist, 'main.js'));
    symlinkSync('lib', join(dist, 'current'));
    symlinkSync('../server.js', join(dist, 'lib', 'server.js'));
    symlinkSync('./lib/../lib/util.js', join(dist, 'util.js'));
    symlinkSync('app.so.1', join(dist, 'app.so')); // a chain unpacked in an order node-tar accepts
    symlinkSync('server.js', join(dist, 'app.so.1'));
    symlinkSync('written-at-start.log', join(dist, 'app.log')); // dangling, but inside

    const packed = await packageArtifact(dist, artifacts, []);
    const installed = await installReleaseDir(tempDir(), {
      app: 'hello',
      version: '1.0.0',
      artifactPath: packed.path,
      sha256: packed.sha256,
    });

    const read = (path: string): string => readFileSync(join(installed.dir, path), 'utf8');
    expect(read('main.js')).toBe('console.log("hi")\n');
    expect(read('current/util.js')).toBe('module.exports = 1\n');
    expect(read('lib/server.js')).toBe('console.log("hi")\n');
    expect(read('util.js')).toBe('module.exports = 1\n');
    expect(read('app.so')).toBe('console.log("hi")\n');
    expect(readlinkSync(join(installed.dir, 'app.log'))).toBe('written-at-start.log');
  });

  it('ignores a bad link in an excluded directory, which is not packed', async () => {
    const { dist, artifacts } = project();
    mkdirSync(join(dist, 'tmp'));
    symlinkSync('/etc/hostname', join(dist, 'tmp', 'host'));

    const packed = await packageArtifact(dist, artifacts, ['tmp/']);

    expect(packed.files).toBe(3); // lib/, lib/util.js and server.js: no tmp/
  });
});

describe('packageArtifact on a full disk', () => {
  it('says no space is left, naming the file it wrote, and leaves no part of it (a real full tmpfs)', async () => {
    const { dist } = project();
    writeFileSync(
      join(dist, 'big.bin'),
      Buffer.alloc(512 * 1024, 7).map((_, i) => (i * 7919) % 251),
    );
    const disk = mountTinyDisk(256 * 1024);
    try {
      const artifacts = join(disk.dir, 'artifacts');
      mkdirSync(artifacts);
      disk.fill();

      const error = await packageArtifact(dist, artifacts, []).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(DiskFullError);
      expect((error as DiskFullError).message).toMatch(
        new RegExp(`^no space left on the disk holding ${artifacts}/\\.tmp-\\d+-\\d+\\.tar\\.gz$`),
      );
      expect(readdirSync(artifacts)).toEqual([]);
    } finally {
      disk.unmount();
    }
  });
});
