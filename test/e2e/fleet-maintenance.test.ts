import { rmSync } from 'node:fs';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, freePort } from '../helpers/project.js';
import { createTestbed, type Testbed } from '../testbed/testbed.js';
import { fleetProject, type Fleet } from './fleet-project.js';

// Maintenance mode of a fleet on real SSH hosts (network namespaces of the testbed) behind the local edge.

const APP_PORT = 8420; // fleet-project's publicPort
const BYPASS = 'x-slipway-maintenance-bypass';

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, release: res.headers.get('x-release'), body: await res.text() };
}

describe('maintenance mode of a fleet over SSH', () => {
  let testbed: Testbed;
  let fleet: Fleet;
  let edge = '';

  beforeAll(async () => {
    testbed = await createTestbed({ hosts: 2, name: 'maint' });
    fleet = fleetProject(testbed, await freePort());
    edge = `http://127.0.0.1:${fleet.edgePort}`;
    expectOk(await fleet.cli(['setup', 'production']));
    expectOk(await fleet.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await fleet.cli(['deploy', 'production', '--release', '1.0.0']));
  }, 240_000);

  afterAll(async () => {
    if (fleet) {
      await fleet.cli(['agent', 'stop', '--stop-targets']);
      rmSync(fleet.dir, { recursive: true, force: true });
    }
    await testbed?.destroy();
  }, 120_000);

  it('holds users back at the edge and every host; the edge keeps the hosts in rotation; off under load', async () => {
    const on = expectOk(await fleet.cli(['maintenance', 'on', 'production', '--message', 'Fleet work']));
    const hosts = testbed.hosts.map((h) => h.name);
    expect(on.stdout).toContain(`on at edge local, ${hosts.join(', ')}`);
    const token = /x-slipway-maintenance-bypass: (\S+)/.exec(on.stdout)?.[1] ?? '';

    expect(await get(`${edge}/`)).toMatchObject({ status: 503, body: 'Fleet work\n' });
    for (const h of testbed.hosts) {
      // A host reached directly (from the control plane's namespace) answers the page too, and passes its health path.
      expect(await get(`http://${h.address}:${APP_PORT}/`)).toMatchObject({
        status: 503,
        body: 'Fleet work\n',
      });
      expect((await get(`http://${h.address}:${APP_PORT}/healthz`)).status).toBe(200);
    }
    // Well past the checks' unhealthy threshold, every host is still in the edge's rotation.
    await new Promise((r) => setTimeout(r, 2_000));
    const status = JSON.parse(expectOk(await fleet.cli(['status', 'production', '--json'])).stdout) as Array<{
      edge: { inRotation: number } | null;
      maintenance: { state: string; on: string[] };
    }>;
    expect(status[0]?.edge?.inRotation).toBe(2);
    expect(status[0]?.maintenance).toMatchObject({ state: 'on', on: ['edge local', ...hosts] });
    for (let i = 0; i < 4; i++)
      expect(await get(`${edge}/`, { [BYPASS]: token })).toMatchObject({ status: 200, release: '1.0.0' });

    // Off under load through the edge: 503s until it is acknowledged, then every request is served.
    const pool = new Pool(edge, { connections: 4 });
    const seen = { ok: 0, page: 0, late: 0, other: [] as string[] };
    let ackedAt = Infinity;
    let stop = false;
    const worker = async (): Promise<void> => {
      for (let n = 0; !stop && n < 20_000; n++) {
        const sentAt = performance.now();
        try {
          const res = await pool.request({ path: '/', method: 'GET' });
          const body = await res.body.text();
          if (res.statusCode === 200) seen.ok++;
          else if (res.statusCode === 503 && body === 'Fleet work\n') {
            seen.page++;
            if (sentAt > ackedAt) seen.late++;
          } else seen.other.push(`${res.statusCode} ${body.slice(0, 80)}`);
        } catch (err) {
          seen.other.push(String(err));
        }
      }
    };
    const workers = Promise.all([worker(), worker(), worker(), worker()]);
    while (seen.page < 20) await new Promise((r) => setTimeout(r, 20));
    expectOk(await fleet.cli(['maintenance', 'off', 'production']));
    ackedAt = performance.now();
    const okAtAck = seen.ok;
    while (seen.ok < okAtAck + 50) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await workers;
    await pool.close();
    expect(seen.other).toEqual([]);
    expect(seen.late).toBe(0);
    expect(seen.ok).toBeGreaterThan(50);

    const history = expectOk(await fleet.cli(['history', 'production'])).stdout;
    expect(history).toContain(
      `maintenance of production on at edge local, ${hosts.join(', ')}: "Fleet work"`,
    );
    expect(history).toContain(
      `maintenance of production off at ${[...hosts].reverse().join(', ')}, edge local`,
    );
  });
});
