import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

// A target that crashes while nobody runs a command reaches the ledger through the server's own sync of the
// agents' events; two replicas on one store copy it once, not twice.

describe('slipway server copies the agents events into the ledger', () => {
  let project: TestProject;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    // Copy what the deploy left in the journal now, so that only the crash below is new.
    expectOk(await project.cli(['history', '-n', '1']));
    servers.push(await startTestServer(project), await startTestServer(project));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await project.dispose();
  });

  it('records a crash and restart of a target once, without any command', async () => {
    const [first] = servers;
    if (!first) throw new Error('no server');
    const token = await first.token('viewer', ['viewer']);
    const [status] = JSON.parse(
      expectOk(await project.cli(['status', 'production', '--json'])).stdout,
    ) as Array<{
      hosts: Array<{ route: { active: string } | null; targets: Array<{ id: string; pid: number }> }>;
    }>;
    const host = status?.hosts[0];
    const serving = host?.targets.find((t) => t.id === host.route?.active);
    expect(serving?.pid).toBeGreaterThan(0);
    process.kill(serving?.pid ?? 0, 'SIGKILL');

    const restarts = async (): Promise<Array<{ actor: string; data: { targetId?: string } }>> =>
      (await (await first.fetch('/api/v1/ledger?kind=target.restarted&limit=50', token)).json()) as Array<{
        actor: string;
        data: { targetId?: string };
      }>;
    const seen = await waitFor('the restart in the ledger', async () => {
      const events = await restarts();
      return events.length > 0 ? events : undefined;
    });
    expect(seen[0]?.actor).toBe('agent@local');
    expect(seen[0]?.data.targetId).toBe(serving?.id);
    // Both replicas sync every 5 s; after a few rounds each, the restart is still there once.
    await new Promise((r) => setTimeout(r, 12_000));
    expect((await restarts()).filter((e) => e.data.targetId === serving?.id)).toHaveLength(1);
  });
});
