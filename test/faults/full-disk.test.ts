import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load-loop.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { mountTinyDisk, type TinyDisk } from '../helpers/tiny-disk.js';
import { waitFor } from '../helpers/wait-for.js';
import { pidIn } from './fault-scenarios.js';

// Every switch is durable before it is reported: with the agent's disk full, a rollback is refused (and says
// which disk and how much room), the router keeps serving what it served, and after a restart the router serves
// what the last ✔ said. A real full file system (tmpfs), so this needs root, as CI has.

async function servingRelease(url: string): Promise<string> {
  return (await (await fetch(`${url}/`, { headers: { connection: 'close' } })).text()).trim();
}

/** Kills the router process and waits for the keeper's new one to serve. */
async function restartRouter(project: TestProject): Promise<void> {
  const pid = pidIn(project, 'router.pid');
  process.kill(pid, 'SIGKILL');
  await waitFor('a new router process to serve', async () => {
    const now = (() => {
      try {
        return pidIn(project, 'router.pid');
      } catch {
        return pid;
      }
    })();
    if (now === pid) return undefined;
    return (await servingRelease(project.url).catch(() => '')) ? true : undefined;
  });
}

describe("a full disk under the agent's home", () => {
  let project: TestProject;
  let disk: TinyDisk;

  beforeAll(async () => {
    disk = mountTinyDisk(32 * 1024 * 1024);
    project = await createTestProject();
    mkdirSync(join(project.dir, '.slipway'), { recursive: true });
    symlinkSync(disk.dir, join(project.dir, '.slipway', 'agent'));
    for (const version of ['1.0.0', '2.0.0']) {
      expectOk(await project.cli(['release', 'create', '--version', version]));
      expectOk(await project.cli(['deploy', 'production', '--release', version]));
    }
  });
  afterAll(async () => {
    disk?.free();
    await project?.dispose();
    disk?.unmount();
  });

  it('refuses a rollback it cannot save, says why, keeps serving, and a restarted router serves the last ✔', async () => {
    expect(await servingRelease(project.url)).toContain('hello 2.0.0');
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000, timeoutMs: 5_000 });
    await load.warm(100);
    disk.fill();
    const refused = await project.cli(['rollback', 'production']);
    disk.free();
    const report = await load.stop();
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).not.toContain('✔ live');
    expect(refused.stderr).toContain('routes.json: ENOSPC');
    expect(refused.stderr).toMatch(/\d+(\.\d)? \w?B free of 32\.0 MiB on its disk/);
    expect(refused.stderr).toContain('free space on the disk');
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(report.failures).toEqual([]);
    expect(report.byRelease['1.0.0']).toBeUndefined();
    await restartRouter(project);
    expect(await servingRelease(project.url)).toContain('hello 2.0.0');

    // With room again the rollback is done, and durable: a restarted router serves 1.0.0.
    expectOk(await project.cli(['rollback', 'production']));
    await restartRouter(project);
    expect(await servingRelease(project.url)).toContain('hello 1.0.0');
  });
});
