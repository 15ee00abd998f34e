import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';

// `slipway data backup|restore` (issue 17, item 4): the hosts' shared directories backed up to the control plane,
// listed beside the database's backups, and restored with what was there kept.

interface Backup {
  id: string;
  format: string;
  path: string;
  tables: number;
}

describe('backups of shared directories', () => {
  let project: TestProject;
  const shell = async (script: string): Promise<string> =>
    expectOk(await project.cli(['run', 'production', '--', 'sh', '-c', script])).stdout;
  const shared = (): string => join(project.dir, '.slipway', 'agent', 'shared', 'hello');

  beforeAll(async () => {
    project = await createTestProject();
    project.writeConfig(
      project.config().replace('secrets: []\n', 'secrets: []\nshared: [storage, uploads]\n'),
    );
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  }, 120_000);
  afterAll(async () => project?.dispose());

  it('backs up, lists beside the database backups, and restores with what was there kept', async () => {
    await shell('echo one > storage/a.txt && mkdir -p uploads/2026 && echo pic > uploads/2026/p.jpg');
    const taken = expectOk(await project.cli(['data', 'backup', 'production']));
    expect(taken.stdout).toMatch(/✔ shared-local-\d{8}T\d{6} {2}\d+ files/);

    const listed = JSON.parse(
      expectOk(await project.cli(['db', 'backups', 'production', '--json'])).stdout,
    ) as Backup[];
    const [backup] = listed;
    expect(backup?.format).toBe('shared-tar');
    expect(backup?.tables).toBeGreaterThanOrEqual(5); // ., storage, a.txt, uploads, 2026, p.jpg
    expect(existsSync(backup?.path ?? '')).toBe(true);
    // Nothing is left on the host.
    expect(existsSync(join(project.dir, '.slipway', 'agent', 'backups'))).toBe(true);
    expect((await shell('ls -A "$(dirname "$(dirname "$PWD")")/../backups" | wc -l')).trim()).toBe('0');

    await shell('echo two > storage/a.txt && echo new > storage/c.txt && rm -r uploads/2026');
    const restored = expectOk(
      await project.cli(['data', 'restore', 'production', '--backup', backup?.id ?? '', '--host', 'local']),
    );
    expect(restored.stdout).toContain(`restored from ${backup?.id ?? ''}`);
    // The app sees the backup's files through the links of its release directory at once.
    expect(await shell('cat storage/a.txt; ls storage; cat uploads/2026/p.jpg')).toBe('one\na.txt\npic\n');
    // What was there is kept, not deleted.
    const kept = `${shared()}.before-${backup?.id ?? ''}`;
    expect(readFileSync(join(kept, 'storage', 'c.txt'), 'utf8')).toBe('new\n');
    expect(restored.stdout).toContain(kept);

    const history = expectOk(await project.cli(['history', 'production', '--json', '--limit', '20'])).stdout;
    const kinds = (JSON.parse(history) as Array<{ kind: string }>).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['data.backed-up', 'data.restored']));
  });

  it('refuses a damaged backup, and a backup of the other kind, changing nothing', async () => {
    const [backup] = JSON.parse(
      expectOk(await project.cli(['db', 'backups', 'production', '--json'])).stdout,
    ) as Backup[];
    if (!backup) throw new Error('a backup was taken');
    const asDb = await project.cli(['db', 'restore', 'production', '--backup', backup.id, '--yes']);
    expect(asDb.code).toBe(2);
    expect(asDb.stderr).toContain('is of shared directories, not of the database');

    await shell('echo three > storage/a.txt');
    writeFileSync(backup.path, 'not the archive');
    const damaged = await project.cli([
      'data',
      'restore',
      'production',
      '--backup',
      backup.id,
      '--host',
      'local',
    ]);
    expect(damaged.code).not.toBe(0);
    expect(damaged.stderr).toMatch(/has hash [0-9a-f]{12}, expected/);
    expect(await shell('cat storage/a.txt')).toBe('three\n');

    const unknown = await project.cli([
      'data',
      'restore',
      'production',
      '--backup',
      backup.id,
      '--host',
      'web-9',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('web-9 is not a host of production');
  });
});
