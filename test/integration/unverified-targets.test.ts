import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, spawnCli, type TestProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';

// Nothing unverified goes live: a deploy of a release whose health check never passes, killed (SIGKILL, or the
// SIGTERM a cancelled CI job sends) while it runs, and then deployed again, must fail its health check again,
// with the release before serving all along; the target the killed deploy left is stopped, not reused.

interface TargetJson {
  id: string;
  release: string;
  state: string;
}

async function targets(project: TestProject): Promise<TargetJson[]> {
  const [status] = JSON.parse(
    expectOk(await project.cli(['status', 'production', '--json'])).stdout,
  ) as Array<{ hosts: Array<{ targets: TargetJson[] }> }>;
  return status?.hosts[0]?.targets ?? [];
}

async function served(project: TestProject): Promise<string> {
  return (await fetch(project.url)).text();
}

describe('a deploy killed while its new release fails its health check, then deployed again', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    // 2.0.0 never passes its health check; it keeps trying long enough to be killed meanwhile.
    project.writeConfig(project.config({ env: { FAIL_HEALTH: '1' }, healthStartTimeout: '15s' }));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  }, 120_000);
  afterAll(async () => {
    await project.dispose();
  });

  it('after a SIGKILL during the health check, the next deploy checks again, fails, and 1.0.0 serves', async () => {
    const killed = spawnCli(project, ['deploy', 'production', '--release', '2.0.0']);
    const leftover = await waitFor('the 2.0.0 target to run (its health check going on)', async () =>
      (await targets(project)).find((t) => t.release === '2.0.0' && t.state === 'running'),
    );
    process.kill(killed.child.pid ?? -1, 'SIGKILL');
    await killed.done;

    const again = await project.cli(['deploy', 'production', '--release', '2.0.0']);
    expect(again.code, again.stdout + again.stderr).toBe(1);
    expect(again.stdout).not.toContain('is live');
    expect(await served(project)).toContain('1.0.0');
    // The target the killed deploy left is stopped, not left running for ever.
    const left = (await targets(project)).find((t) => t.id === leftover.id);
    expect(left?.state ?? 'gone').not.toBe('running');
    expect((await targets(project)).filter((t) => t.release === '2.0.0' && t.state === 'running')).toEqual(
      [],
    );
  }, 120_000);

  it('SIGTERM stops the deploy as Ctrl-C does (resumable, exit 130); a new deploy then checks and fails', async () => {
    // A deploy waiting for its window: SIGTERM must stop the wait and leave the deployment resumable.
    const stopped = spawnCli(project, ['deploy', 'production', '--release', '2.0.0', '--at', '+1h']);
    await waitFor('the deploy to wait for its window', () =>
      Promise.resolve(/window|waits|wait/i.test(stopped.stdout()) ? true : undefined),
    );
    process.kill(stopped.child.pid ?? -1, 'SIGTERM');
    expect(await stopped.done).toBe(130);
    expect(stopped.stdout()).toContain('--resume');

    const history = expectOk(await project.cli(['history', 'production']));
    expect(history.stdout).toMatch(/interrupted/);

    const again = await project.cli(['deploy', 'production', '--release', '2.0.0']);
    expect(again.code, again.stdout + again.stderr).toBe(1);
    expect(await served(project)).toContain('1.0.0');
  }, 120_000);
});
