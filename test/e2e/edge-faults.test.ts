import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load-loop.js';
import { expectOk, freePort } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';
import { createTestbed, type Testbed } from '../testbed/testbed.js';
import { fleetProject, spawnFleetCli, type Fleet } from './fleet-project.js';

// A host whose link is cut while it serves (packets stop: no RST, no ICMP; the testbed sets the host's veth down)
// must cost the users of the edge nothing: requests sent to it move to another host after the host's answer
// bound, the host leaves the rotation by itself, and comes back by itself once its link does. Load goes through the
// local edge with a 5 s client timeout, as a user's browser or client library would give up. Timings are printed
// (docs/benchmarks.md, "Faults"), not asserted.

interface EdgeMember {
  id: string;
  state: string;
  cause: string | null;
  why: string | null;
}

const CLIENT_TIMEOUT_MS = 5_000;

describe('a host whose link is cut, behind the edge, on a testbed of 3 hosts', () => {
  let testbed: Testbed;
  let fleet: Fleet;
  let url: string;

  beforeAll(async () => {
    testbed = await createTestbed({ hosts: 3, name: 'edgecut' });
    fleet = fleetProject(testbed, await freePort());
    url = `http://127.0.0.1:${fleet.edgePort}`;
    expectOk(await fleet.cli(['setup', 'production', '--trust-new-hosts']));
    expectOk(await fleet.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await fleet.cli(['deploy', 'production', '--release', '1.0.0']));
  }, 240_000);

  afterAll(async () => {
    for (const host of testbed?.hosts ?? []) await host.restoreLink().catch(() => undefined);
    if (fleet) {
      await fleet.cli(['agent', 'stop', '--stop-targets']);
      rmSync(fleet.dir, { recursive: true, force: true });
    }
    await testbed?.destroy();
  }, 120_000);

  const member = async (id: string): Promise<EdgeMember | undefined> => {
    const [status] = JSON.parse(
      expectOk(await fleet.cli(['status', 'production', '--json'])).stdout,
    ) as Array<{
      edge: { members: EdgeMember[] } | null;
    }>;
    return status?.edge?.members.find((m) => m.id === id);
  };

  it('loses no request while serving: the host is ejected by itself and back in rotation once its link is', async () => {
    const load = startLoad(url, { concurrency: 6, maxMs: 120_000, timeoutMs: CLIENT_TIMEOUT_MS });
    await load.warm(300);
    const victim = testbed.hosts[1]!;
    const cutAtMs = Date.now();
    await victim.cutLink();
    const ejected = await waitFor('the cut host ejected', async () => {
      const m = await member(victim.name);
      return m?.state === 'ejected' ? m : undefined;
    });
    const seenEjectedMs = Date.now() - cutAtMs;
    // Users keep being served by the two other hosts while the link stays cut.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const restoredAtMs = Date.now();
    await victim.restoreLink();
    await waitFor('the host back in rotation, no command run', async () =>
      (await member(victim.name))?.state === 'in-rotation' ? true : undefined,
    );
    const backMs = Date.now() - restoredAtMs;
    const report = await load.stop();
    // The edge's own times (its ledgered events), not when a status command happened to see them.
    const events = JSON.parse(
      expectOk(await fleet.cli(['history', 'production', '--json', '-n', '100'])).stdout,
    ) as Array<{ kind: string; atMs: number; message: string }>;
    const ejectedAt = events.find((e) => e.kind === 'edge.member-ejected' && e.atMs >= cutAtMs)?.atMs;
    const backAt = events.find((e) => e.kind === 'edge.member-readmitted' && e.atMs >= restoredAtMs)?.atMs;
    console.log(
      `cut link, no deploy: ${report.total} requests, ${report.failed} failed, slowest ${Math.round(report.slowestMs)} ms; ` +
        `ejected (${ejected.cause}) ${ejectedAt === undefined ? '?' : ejectedAt - cutAtMs} ms after the cut (status saw it after ${seenEjectedMs} ms); ` +
        `back in rotation ${backAt === undefined ? '?' : backAt - restoredAtMs} ms after the link (status saw it after ${backMs} ms)`,
    );
    expect(ejectedAt).toBeDefined();
    expect(backAt).toBeDefined();
    expect(['timeouts', 'failed-checks', 'unreachable']).toContain(ejected.cause);
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.byRelease['1.0.0']).toBeGreaterThan(0);
  }, 180_000);

  // At each batch: the host of batch i is cut as that batch starts, so the deploy loses it mid-update.
  it.each([0, 1, 2])(
    'loses no request when the host of batch %i is cut as its batch starts',
    async (batch) => {
      const version = `2.${batch}.0`;
      expectOk(await fleet.cli(['release', 'create', '--version', version]));
      const load = startLoad(url, { concurrency: 6, maxMs: 180_000, timeoutMs: CLIENT_TIMEOUT_MS });
      await load.warm(300);
      const victim = testbed.hosts[batch]!;
      const deploy = spawnFleetCli(fleet, ['deploy', 'production', '--release', version]);
      await waitFor(`batch ${batch + 1} under way`, () =>
        Promise.resolve(new RegExp(`batch ${batch + 1}/3`).test(deploy.stdout()) ? true : undefined),
      );
      await victim.cutLink();
      const code = await deploy.done;
      await victim.restoreLink();
      // The host the deploy took out of the edge and could not finish is back (the batch's put-back returns it
      // to the edge first; its checks let it in once its link is back) or reported as taken out, never missing.
      const after = await waitFor('the cut host back in rotation or reported', async () => {
        const m = await member(victim.name);
        return m?.state === 'in-rotation' || (m?.state === 'disabled' && m.why !== null) ? m : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const report = await load.stop();
      console.log(
        `cut link of batch ${batch + 1}'s host during a rolling deploy: deploy exit ${code}; ${report.total} requests, ` +
          `${report.failed} failed, slowest ${Math.round(report.slowestMs)} ms; served ${JSON.stringify(report.byRelease)}; ` +
          `the cut host afterwards: ${after.state}${after.why ? ` (${after.why})` : ''}`,
      );
      // The deploy cannot reach the cut host, so it fails; users see none of it.
      expect(code).not.toBe(0);
      expect(report.failures).toEqual([]);
      expect(report.failed).toBe(0);
    },
    300_000,
  );
});
