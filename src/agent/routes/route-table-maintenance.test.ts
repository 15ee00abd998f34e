import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import type { MaintenanceSpec } from '../../router/maintenance.js';
import { freePort, startBackend, useCleanup } from '../../router/test-backends.js';
import { EventJournal } from '../event-journal.js';
import { RouteTable } from './route-table.js';

// Maintenance mode on the router process's route tables: a fleet of two hosts behind an edge, each a RouteTable of
// its own (as on three machines), with real routers and apps; saved with the routes and served again after a reopen.

const SPEC: MaintenanceSpec = {
  message: 'Back soon',
  retryAfterS: 60,
  healthPath: '/healthz',
  bypassToken: 'tok',
  sinceMs: 1_000,
  by: 'ops',
};

async function get(port: number, headers: Record<string, string> = {}) {
  const pool = new Pool(`http://127.0.0.1:${port}`);
  try {
    const res = await pool.request({ path: '/', method: 'GET', headers });
    return { status: res.statusCode, body: await res.body.text() };
  } finally {
    await pool.close();
  }
}

describe('RouteTable maintenance', () => {
  const cleanup = useCleanup();

  async function host(name: string) {
    const dir = mkdtempSync(join(tmpdir(), 'sw-rm-'));
    cleanup(() => rmSync(dir, { recursive: true, force: true }));
    const statePath = join(dir, 'routes.json');
    const open = async () => {
      const table = await RouteTable.open({
        statePath,
        journal: await EventJournal.open(join(dir, 'events')),
      });
      cleanup(() => table.close());
      return table;
    };
    const app = await startBackend((_req, res) => res.end(name));
    cleanup(app.close);
    return { statePath, open, app, port: await freePort() };
  }

  it('holds a fleet back at its edge and hosts; the edge keeps the hosts in rotation; kept across a reopen', async () => {
    const [a, b, e] = await Promise.all([host('A'), host('B'), host('edge')]);
    const tables = await Promise.all([a.open(), b.open()]);
    for (const [i, h] of [a, b].entries()) {
      const table = tables[i]!;
      await table.ensureRoute({ app: 'shop', publicPort: h.port, bindAddress: '127.0.0.1' });
      await table.switchRoute({
        app: 'shop',
        target: { id: 'shop-1', release: '1.0.0', port: h.app.port },
        drainTimeoutMs: 0,
      });
    }
    let edge = await e.open();
    const healthCheck = {
      path: '/healthz',
      intervalMs: 20,
      timeoutMs: 500,
      healthyThreshold: 1,
      unhealthyThreshold: 2,
    };
    await edge.ensureEdge({
      app: 'shop',
      publicPort: e.port,
      bindAddress: '127.0.0.1',
      healthCheck,
      upstreams: [
        { id: 'a', address: '127.0.0.1', port: a.port },
        { id: 'b', address: '127.0.0.1', port: b.port },
      ],
    });
    expect(await edge.setMaintenance({ key: 'edge:shop', maintenance: SPEC })).toMatchObject({
      previous: null,
      current: { message: 'Back soon', bypass: true },
    });
    for (const t of tables) await t.setMaintenance({ key: 'shop', maintenance: SPEC });

    // Many rounds of checks later the hosts are still in rotation: their routers pass the health path to the app.
    await new Promise((r) => setTimeout(r, 300));
    const [edgeRoute] = (await edge.routes()).routes;
    expect(edgeRoute?.pool?.map((m) => [m.id, m.inRotation])).toEqual([
      ['a', true],
      ['b', true],
    ]);
    expect(edgeRoute?.maintenance).toMatchObject({ message: 'Back soon', retryAfterS: 60 });
    expect(await get(e.port)).toEqual({ status: 503, body: 'Back soon\n' });
    expect(await get(a.port)).toEqual({ status: 503, body: 'Back soon\n' }); // a host reached directly too
    const tester = new Set<string>();
    for (let i = 0; i < 4; i++)
      tester.add((await get(e.port, { 'x-slipway-maintenance-bypass': 'tok' })).body);
    expect(tester).toEqual(new Set(['A', 'B']));

    // Saved with the routes: a router process started anew serves it again, the token included.
    expect(readFileSync(e.statePath, 'utf8')).toContain('"bypassToken": "tok"');
    await edge.close();
    edge = await e.open();
    expect((await edge.routes()).routes[0]?.maintenance).toMatchObject({ message: 'Back soon' });
    expect(await get(e.port)).toEqual({ status: 503, body: 'Back soon\n' });

    // A deploy (a switch) leaves it on; off serves again.
    await tables[0].switchRoute({
      app: 'shop',
      target: { id: 'shop-2', release: '2.0.0', port: a.app.port },
      drainTimeoutMs: 0,
    });
    expect(await get(a.port)).toEqual({ status: 503, body: 'Back soon\n' });
    expect(JSON.parse(readFileSync(a.statePath, 'utf8'))).toMatchObject({
      routes: [{ active: { id: 'shop-2' }, maintenance: { message: 'Back soon' } }],
    });
    await edge.setMaintenance({ key: 'edge:shop', maintenance: null });
    for (const t of tables) await t.setMaintenance({ key: 'shop', maintenance: null });
    expect((await get(e.port)).status).toBe(200);
    expect((await edge.routes()).routes[0]?.maintenance).toBeUndefined();
  });

  it('refuses a bad spec and an unknown route, changing nothing', async () => {
    const h = await host('A');
    const table = await h.open();
    await table.ensureRoute({ app: 'shop', publicPort: h.port, bindAddress: '127.0.0.1' });
    await expect(
      table.setMaintenance({ key: 'shop', maintenance: { ...SPEC, retryAfterS: -1 } }),
    ).rejects.toThrow('retryAfterS must be a whole number');
    await expect(table.setMaintenance({ key: 'other', maintenance: SPEC })).rejects.toThrow(
      'no route other on this host: nothing is served here for it yet',
    );
    expect((await table.routes()).routes[0]?.maintenance).toBeUndefined();
  });
});
