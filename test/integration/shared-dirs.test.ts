import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';

// `shared:` (issue 17, item 4, processes): directories that outlive releases, linked into every release directory
// from the host's own copy, kept when old release directories are pruned.

describe('shared directories', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    // The release packs a storage/ of its own: the shared one replaces it.
    mkdirSync(join(project.dir, 'storage'));
    writeFileSync(join(project.dir, 'storage', 'packed.txt'), 'from the release\n');
    project.writeConfig(
      project
        .config({ strategy: '      kind: blue-green\n      keepWarm: 1s\n      drainTimeout: 1s' })
        .replace('secrets: []\n', 'secrets: []\nshared: [storage]\nretainReleases: 1\n'),
    );
    for (const version of ['1.0.0', '2.0.0', '3.0.0'])
      expectOk(await project.cli(['release', 'create', '--version', version]));
  }, 120_000);
  afterAll(async () => project?.dispose());

  it('keeps what the app wrote there across deploys and the pruning of old releases', async () => {
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    const listing = expectOk(await project.cli(['run', 'production', '--', 'ls', '-A', 'storage'])).stdout;
    expect(listing.trim()).toBe(''); // the release's own storage/ is not what the app sees
    expectOk(
      await project.cli([
        'run',
        'production',
        '--',
        'sh',
        '-c',
        'echo "written by $SLIPWAY_RELEASE" > storage/note',
      ]),
    );

    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    await new Promise((r) => setTimeout(r, 2000)); // 1.0.0's keep-warm ends: its directory may go
    expectOk(await project.cli(['deploy', 'production', '--release', '3.0.0']));
    const releases = join(project.dir, '.slipway', 'agent', 'releases', 'hello');
    // retainReleases: 1 (and the warm 2.0.0): 1.0.0's directory is gone, its data is not.
    expect(() => lstatSync(join(releases, '1.0.0'))).toThrow();
    expect(lstatSync(join(releases, '3.0.0', 'storage')).isSymbolicLink()).toBe(true);
    const note = expectOk(await project.cli(['run', 'production', '--', 'cat', 'storage/note'])).stdout;
    expect(note.trim()).toBe('written by 1.0.0');
    const status = expectOk(
      await project.cli(['run', 'production', '--', 'sh', '-c', 'echo $SLIPWAY_RELEASE']),
    );
    expect(status.stdout.trim()).toBe('3.0.0');
  });
});
