import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';

// The built CLI on a copy of examples/hello: inputs that used to pass and fail later are refused up front,
// with one line naming the key or the file, and exit 2.

describe('bad build inputs and config values', () => {
  let project: TestProject;
  beforeAll(async () => {
    project = await createTestProject();
  });
  afterAll(async () => {
    await project.dispose();
  });

  it('release create refuses a symbolic link that leaves build.path, naming it, and stores nothing', async () => {
    const link = join(project.dir, 'host-name');
    symlinkSync('/etc/hostname', link);
    try {
      const result = await project.cli(['release', 'create', '--version', '1.0.0']);

      expect(result.code).toBe(2);
      const [error, hint] = result.stderr.trimEnd().split('\n');
      expect(error).toBe(
        `error: the build output ${project.dir} holds an absolute symbolic link host-name -> /etc/hostname`,
      );
      expect(hint).toMatch(/^hint: .*No release was stored$/);
      expect(expectOk(await project.cli(['releases', '--json'])).stdout).not.toContain('1.0.0');
    } finally {
      rmSync(link);
    }
  });

  it('release create keeps a link that stays inside build.path', async () => {
    symlinkSync('server.js', join(project.dir, 'main.js'));
    expectOk(await project.cli(['release', 'create', '--version', '1.0.1']));
    expect(expectOk(await project.cli(['releases', '--json'])).stdout).toContain('1.0.1');
  });

  it('validate refuses a keepWarm no timer can hold and a bindAddress that is no IP, and exits 2', async () => {
    project.writeConfig(
      project
        .config({ strategy: '      kind: blue-green\n      keepWarm: 30d' })
        .replace('bindAddress: 127.0.0.1', 'bindAddress: localhost'),
    );
    const result = await project.cli(['validate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /slipway\.yml:\d+:\d+: environments\.production\.bindAddress: expected an IP address to listen on, such as "0\.0\.0\.0", "127\.0\.0\.1" or "::", got "localhost"/,
    );
    expect(result.stderr).toMatch(
      /slipway\.yml:\d+:\d+: environments\.production\.strategy\.keepWarm: expected at most 24d20h31m23s647ms \(2\^31-1 ms, the longest a timer can wait\), got "30d"/,
    );
  });
});
