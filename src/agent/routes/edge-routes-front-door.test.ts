import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startBackend, useCleanup } from '../../router/test-backends.js';
import { createTestPki } from '../../router/test-certificates.js';
import { EventJournal } from '../event-journal.js';
import type { FrontDoorRouteSpec, HealthCheckSpec } from '../protocol.js';
import type { RoutesState } from './route-records.js';
import { RouteTable } from './route-table.js';

// An edge with domains: the edge's router (balancing over the app hosts' routers, here plain backends) is also
// the route of the host's front door for the environment's names, over HTTP and HTTPS.

const pki = createTestPki();
const shopLeaf = pki.issue('shop', ['shop.test']);
afterAll(() => pki.remove());

const healthCheck: HealthCheckSpec = {
  path: '/healthz',
  intervalMs: 60_000, // membership and enabled flags alone decide in these tests
  timeoutMs: 1_000,
  healthyThreshold: 1,
  unhealthyThreshold: 1,
};

async function get(port: number, host: string, tls = false) {
  const pool = new Pool(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, {
    connect: tls ? { ca: pki.ca, servername: host } : {},
  });
  try {
    const res = await pool.request({ path: '/', method: 'GET', headers: { host } });
    return { status: res.statusCode, body: await res.body.text(), location: res.headers.location };
  } finally {
    await pool.close();
  }
}

describe('RouteTable: an edge on the front door', () => {
  const cleanup = useCleanup();

  async function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'sw-ef-'));
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
    const hosts = await Promise.all(
      ['A', 'B'].map(async (name) => {
        const backend = await startBackend((_req, res) => res.end(name));
        cleanup(() => backend.close());
        return backend;
      }),
    );
    const upstreams = hosts.map((h, i) => ({ id: `app-${i + 1}`, address: '127.0.0.1', port: h.port }));
    const http = await freePort();
    const https = await freePort();
    const door = (names: string[], tls = true): FrontDoorRouteSpec => ({
      names,
      pathPrefix: '/',
      httpPort: http,
      httpsPort: https,
      bindAddress: '127.0.0.1',
      certificates: tls ? [{ cert: shopLeaf.cert, key: shopLeaf.key }] : [],
    });
    const edge = async (app: string) => ({
      app,
      publicPort: await freePort(),
      bindAddress: '127.0.0.1',
      healthCheck,
      upstreams,
    });
    return { statePath, open, http, https, door, edge };
  }

  it('serves the fleet by name over HTTPS, takes members out for both entrances, and again after a restart', async () => {
    const { statePath, open, http, https, door, edge } = await setup();
    let table = await open();
    const production = await edge('shop@production');
    const created = await table.ensureEdge({ ...production, frontDoor: door(['shop.test']) });
    expect(created).toMatchObject({ app: 'edge:shop@production', created: true });
    expect(created.frontDoor).toMatchObject({ names: ['shop.test'], httpPort: http, httpsPort: https });

    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await get(https, 'shop.test', true);
      expect(res.status).toBe(200);
      bodies.add(res.body);
    }
    expect(bodies).toEqual(new Set(['A', 'B'])); // balanced over the fleet
    await expect(get(https, 'nobody.test', true)).rejects.toThrow(); // no certificate covers that SNI
    expect((await get(http, 'nobody.test')).status).toBe(404);
    expect(await get(http, 'shop.test')).toMatchObject({
      status: 308,
      location: `https://shop.test:${https}/`,
    });

    // A rolling batch takes app-1 out of the edge: by name too.
    await table.setEdgeMember({ app: 'shop@production', id: 'app-1', enabled: false, drainTimeoutMs: 0 });
    for (let i = 0; i < 3; i++) expect((await get(https, 'shop.test', true)).body).toBe('B');
    expect((await get(production.publicPort, 'anything')).body).toBe('B');

    const saved = JSON.parse(readFileSync(statePath, 'utf8')) as RoutesState;
    expect(saved.edges.map((e) => [e.app, e.frontDoor?.names])).toEqual([['shop@production', ['shop.test']]]);

    await table.close();
    table = await open();
    for (let i = 0; i < 2; i++) expect((await get(https, 'shop.test', true)).body).toBe('B');
    await table.setEdgeMember({ app: 'shop@production', id: 'app-1', enabled: true, drainTimeoutMs: 0 });
    const after = new Set<string>();
    for (let i = 0; i < 4; i++) after.add((await get(https, 'shop.test', true)).body);
    expect(after).toEqual(new Set(['A', 'B']));
    expect((await table.routes()).routes.map((r) => [r.app, r.frontDoor?.names])).toEqual([
      ['edge:shop@production', ['shop.test']],
    ]);

    // Without domains again: the edge leaves the door (which closes with it) and keeps its port, re-keyed.
    await table.ensureEdge({ ...production, app: 'shop', frontDoor: null });
    await expect(get(http, 'shop.test')).rejects.toThrow();
    expect((await get(production.publicPort, 'x')).status).toBe(200);
    expect((await table.routes()).routes.map((r) => [r.app, r.frontDoor ?? null])).toEqual([
      ['edge:shop', null],
    ]);
  });

  it('keeps two environments of one app apart, re-keys an edge that gains domains, and refuses a held name', async () => {
    const { open, http, https, door, edge } = await setup();
    const table = await open();
    // An edge from before domains (keyed by the app), with a member a rolling update took out.
    const production = await edge('shop');
    await table.ensureEdge(production);
    await table.setEdgeMember({ app: 'shop', id: 'app-2', enabled: false, drainTimeoutMs: 0 });
    const rekeyed = await table.ensureEdge({
      ...production,
      app: 'shop@production',
      frontDoor: door(['shop.test']),
    });
    expect(rekeyed).toMatchObject({ app: 'edge:shop@production', created: false });
    expect(rekeyed.pool?.map((m) => [m.id, m.enabled])).toEqual([
      ['app-1', true],
      ['app-2', false],
    ]);
    expect((await get(https, 'shop.test', true)).body).toBe('A');

    const staging = await edge('shop@staging');
    await table.ensureEdge({ ...staging, frontDoor: door(['staging.test'], false) });
    expect((await get(http, 'staging.test')).status).toBe(200);
    expect((await table.routes()).routes.map((r) => r.app)).toEqual([
      'edge:shop@production',
      'edge:shop@staging',
    ]);

    // A name another route holds: refused naming it, and the new edge is not left listening.
    const other = await edge('blog@production');
    await expect(table.ensureEdge({ ...other, frontDoor: door(['shop.test']) })).rejects.toThrow(
      /shop@production/,
    );
    await expect(get(other.publicPort, 'x')).rejects.toThrow();
    expect((await table.routes()).routes.map((r) => r.app)).not.toContain('edge:blog@production');
    expect((await get(https, 'shop.test', true)).body).toBe('A');
  });

  it('loads a routes.json whose edges were written before front doors', async () => {
    const { statePath, open, edge } = await setup();
    const old = await edge('hello');
    writeFileSync(
      statePath,
      JSON.stringify({
        version: 1,
        routes: [],
        edges: [
          {
            ...old,
            upstreams: old.upstreams.map((u) => ({ ...u, enabled: true })),
          },
        ],
        trips: [],
      }),
    );
    const table = await open();
    expect((await get(old.publicPort, 'x')).status).toBe(200);
    const [route] = (await table.routes()).routes;
    expect(route?.app).toBe('edge:hello');
    expect(route).not.toHaveProperty('frontDoor');
  });
});
