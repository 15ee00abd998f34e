import { lstatSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageArtifact } from '../release/package-artifact.js';
import {
  installReleaseDir,
  listReleaseDirs,
  pruneReleaseDirs,
  sha256File,
  sharedDirFor,
} from './release-dirs.js';
import { c as createTar } from 'tar';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rel-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function artifact(content: string) {
  const src = tempDir();
  writeFileSync(join(src, 'server.js'), content);
  mkdirSync(join(src, '.slipway'));
  writeFileSync(join(src, '.slipway', 'secret.db'), 'never packed');
  return packageArtifact(src, join(tempDir(), 'artifacts'), []);
}

describe('shared directories', () => {
  it('links each into every release, replacing what the release packed there, and keeps its data across releases', async () => {
    const src = tempDir();
    writeFileSync(join(src, 'server.js'), 'v1\n');
    mkdirSync(join(src, 'storage'));
    writeFileSync(join(src, 'storage', 'packed.txt'), 'from the release');
    const a = await packageArtifact(src, join(tempDir(), 'artifacts'), []);
    writeFileSync(join(src, 'server.js'), 'v2\n');
    const b = await packageArtifact(src, join(tempDir(), 'artifacts'), []);
    const releases = tempDir();
    const shared = ['storage', 'data/db'];
    const one = await installReleaseDir(releases, {
      app: 'hello',
      version: '1.0.0',
      artifactPath: a.path,
      sha256: a.sha256,
      shared,
    });
    const kept = sharedDirFor(releases, 'hello');
    for (const path of shared) {
      expect(lstatSync(join(one.dir, path)).isSymbolicLink()).toBe(true);
      expect(lstatSync(join(kept, path)).mode & 0o777).toBe(0o700);
    }
    expect(() => readFileSync(join(one.dir, 'storage', 'packed.txt'))).toThrow();
    writeFileSync(join(one.dir, 'storage', 'upload.png'), 'user data');
    const two = await installReleaseDir(releases, {
      app: 'hello',
      version: '2.0.0',
      artifactPath: b.path,
      sha256: b.sha256,
      shared,
    });
    expect(readFileSync(join(two.dir, 'storage', 'upload.png'), 'utf8')).toBe('user data');
    // Pruning releases never touches it.
    await pruneReleaseDirs(releases, 'hello', 1, new Set());
    expect(readFileSync(join(kept, 'storage', 'upload.png'), 'utf8')).toBe('user data');
  });

  it('refuses a shared path below a symlink the release packed', async () => {
    const src = tempDir();
    // A link out of the release is refused by the extraction itself (strict tar); one inside it is refused here.
    mkdirSync(join(src, 'real'));
    symlinkSync('real', join(src, 'data'));
    // Packed by hand: release create refuses a link out of the project, but an artifact is only a tar file.
    const path = join(tempDir(), 'linked.tar.gz');
    await createTar({ gzip: true, file: path, cwd: src }, ['real', 'data']);
    const a = { path, sha256: await sha256File(path) };
    await expect(
      installReleaseDir(tempDir(), {
        app: 'hello',
        version: '1.0.0',
        artifactPath: a.path,
        sha256: a.sha256,
        shared: ['data/uploads'],
      }),
    ).rejects.toThrow('shared path data/uploads is below data, a symlink in the release');
  });
});

describe('release directories on a host', () => {
  it('packs the same content to the same hash, and leaves .slipway out', async () => {
    const a = await artifact('console.log(1)\n');
    const b = await artifact('console.log(1)\n');
    const c = await artifact('console.log(2)\n');
    expect(a.sha256).toBe(b.sha256);
    expect(c.sha256).not.toBe(a.sha256);
    const releases = tempDir();
    const installed = await installReleaseDir(releases, {
      app: 'hello',
      version: '1.0.0',
      artifactPath: a.path,
      sha256: a.sha256,
    });
    expect(readFileSync(join(installed.dir, 'server.js'), 'utf8')).toBe('console.log(1)\n');
    expect(() => readFileSync(join(installed.dir, '.slipway', 'secret.db'))).toThrow();
  });

  it('installs once, refuses a damaged artifact and another content under the same version', async () => {
    const a = await artifact('v1\n');
    const b = await artifact('v2\n');
    const releases = tempDir();
    const first = await installReleaseDir(releases, {
      app: 'hello',
      version: '1.0.0',
      artifactPath: a.path,
      sha256: a.sha256,
    });
    const again = await installReleaseDir(releases, {
      app: 'hello',
      version: '1.0.0',
      artifactPath: a.path,
      sha256: a.sha256,
    });
    expect([first.alreadyInstalled, again.alreadyInstalled]).toEqual([false, true]);
    await expect(
      installReleaseDir(releases, { app: 'hello', version: '1.0.0', artifactPath: b.path, sha256: b.sha256 }),
    ).rejects.toThrow(/installed on this host with other content/);
    await expect(
      installReleaseDir(releases, { app: 'hello', version: '2.0.0', artifactPath: b.path, sha256: a.sha256 }),
    ).rejects.toThrow(/expected/);
    expect((await listReleaseDirs(releases)).map((r) => r.version)).toEqual(['1.0.0']);
  });

  it('prunes the oldest releases but never one in use', async () => {
    const releases = tempDir();
    for (const v of ['1', '2', '3', '4']) {
      const a = await artifact(`v${v}\n`);
      await installReleaseDir(releases, { app: 'hello', version: v, artifactPath: a.path, sha256: a.sha256 });
      await new Promise((r) => setTimeout(r, 20)); // distinct directory times
    }
    const removed = await pruneReleaseDirs(releases, 'hello', 2, new Set(['1']));
    expect(removed.sort()).toEqual(['2']);
    expect((await listReleaseDirs(releases)).map((r) => r.version).sort()).toEqual(['1', '3', '4']);
  });
});
