import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  expectOk,
  freePort,
  type ConfigOverrides,
  type TestProject,
} from '../helpers/project.js';

// What a rolling environment behind an edge says, with the real CLI, agent, edge and targets on this machine:
// where users reach it, what a redeploy of the serving release leaves alone, and what a rollback really does.

interface HostJson {
  route: { active: string | null } | null;
  targets: Array<{ id: string; release: string; state: string }>;
}

async function localHost(project: TestProject): Promise<HostJson | undefined> {
  const [status] = JSON.parse(
    expectOk(await project.cli(['status', 'production', '--json'])).stdout,
  ) as Array<{
    hosts: HostJson[];
  }>;
  return status?.hosts[0];
}

describe('a rolling environment behind a local edge', () => {
  let project: TestProject;
  let edgeUrl: string;
  let config: ConfigOverrides;

  beforeAll(async () => {
    project = await createTestProject();
    const edgePort = await freePort();
    edgeUrl = `http://127.0.0.1:${edgePort}/`;
    config = {
      strategy: '      kind: rolling\n      batchSize: 1\n      keepWarm: 5m\n      drainTimeout: 1s',
      environmentExtra: `    edge:\n      host: local\n      publicPort: ${edgePort}\n      bindAddress: 127.0.0.1`,
    };
    project.writeConfig(project.config(config));
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
  });
  afterAll(async () => project.dispose());

  it("names the edge's address as where the release is live, not the hosts' router port", async () => {
    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    expect(deploy.stdout).toContain(`✔ 1.0.0 is live in production at ${edgeUrl} (`);
    expect(deploy.stdout).not.toContain(`at ${project.url}/`);
    expect(await (await fetch(edgeUrl)).text()).toContain('hello 1.0.0');
  });

  it('leaves a host that serves the release healthily as it is on a redeploy, and says so', async () => {
    const before = await localHost(project);
    const plan = expectOk(await project.cli(['plan', 'production', '--release', '1.0.0']));
    expect(plan.stdout).toContain('local already serves 1.0.0 healthily: left as it is (no new target)');
    expect(plan.stdout).toContain('Nothing to change.');

    const again = expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    expect(again.stdout).toContain('local already serves 1.0.0 healthily: left as it is');
    expect(again.stdout).toContain(`✔ 1.0.0 is live in production at ${edgeUrl}`);
    const after = await localHost(project);
    expect(after?.route?.active).toBe(before?.route?.active);
    expect(after?.targets.map((t) => t.id)).toEqual(before?.targets.map((t) => t.id));
    expect(await (await fetch(edgeUrl)).text()).toContain('hello 1.0.0');
  });

  it('says what a rollback of a rolling environment does: every host at once, not "blue-green"', async () => {
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    const rollback = expectOk(await project.cli(['rollback', 'production']));
    expect(rollback.stdout).toContain(
      'Rolling production back to hello 1.0.0 (rolling environment; a rollback goes back on every host at once, not in batches: a switch to the warm 1.0.0 targets on every host together, deployment ',
    );
    expect(rollback.stdout).not.toContain('(blue-green');
    expect(await (await fetch(edgeUrl)).text()).toContain('hello 1.0.0');
  });

  it('starts a release that reads secrets again on a redeploy, and stops the target it replaces', async () => {
    project.writeConfig(project.config({ ...config, secrets: ['API_TOKEN'] }));
    expectOk(await project.cli(['release', 'create', '--version', '3.0.0']));
    expectOk(
      await project.cli(['deploy', 'production', '--release', '3.0.0'], { SLIPWAY_SECRET_API_TOKEN: 'one' }),
    );
    const before = await localHost(project);
    const again = expectOk(
      await project.cli(['deploy', 'production', '--release', '3.0.0'], { SLIPWAY_SECRET_API_TOKEN: 'two' }),
    );
    expect(again.stdout).toContain(
      'local already serves 3.0.0 but is started again: it reads secrets (API_TOKEN)',
    );
    const after = await localHost(project);
    expect(after?.route?.active).not.toBe(before?.route?.active);
    const running = after?.targets.filter((t) => t.release === '3.0.0' && t.state === 'running');
    expect(running?.map((t) => t.id)).toEqual([after?.route?.active]);
    expect(await (await fetch(edgeUrl)).text()).toContain('hello 3.0.0');
  });
});
