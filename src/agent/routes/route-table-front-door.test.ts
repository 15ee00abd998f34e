import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startBackend, useCleanup } from '../../router/test-backends.js';
import { createTestPki } from '../../router/test-certificates.js';
import { EventJournal } from '../event-journal.js';
import type { FrontDoorRouteSpec } from '../protocol.js';
import { RouteTable } from './route-table.js';

const pki = createTestPki();
const shopLeaf = pki.issue('shop', ['shop.test']);
afterAll(() => pki.remove());

async function get(port: number, host: string, tls = false): Promise<{ status: number; body: string }> {
  const pool = new Pool(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, {
    connect: tls ? { ca: pki.ca, servername: host } : {},
  });
  try {
    const res = await pool.request({ path: '/', method: 'GET', headers: { host } });
    return { status: res.statusCode, body: await res.body.text() };
  } finally {
    await pool.close();
  }
}

describe('RouteTable front doors', () => {
  const cleanup = useCleanup();

  async function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'sw-rt-'));
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
    const backend = (name: string) =>
      startBackend((_req, res) => res.end(name)).then((b) => {
        cleanup(() => b.close());
        return b;
      });
    const http = await freePort();
    const https = await freePort();
    const spec = (names: string[], certificates: FrontDoorRouteSpec['certificates'] = []) => ({
      names,
      pathPrefix: '/',
      httpPort: http,
      httpsPort: https,
      bindAddress: '127.0.0.1',
      certificates,
    });
    return { dir, statePath, open, backend, http, https, spec };
  }

  it('serves two routes of one app by name beside their own ports, and again after a restart', async () => {
    const { dir, open, backend, http, https, spec } = await setup();
    let table = await open();
    const [production, staging] = [await backend('production'), await backend('staging')];
    const ports = [await freePort(), await freePort()] as const;
    const cert = { cert: shopLeaf.cert, key: shopLeaf.key };
    await table.ensureRoute({
      app: 'shop@production',
      publicPort: ports[0],
      bindAddress: '127.0.0.1',
      frontDoor: spec(['shop.test'], [cert]),
    });
    await table.ensureRoute({
      app: 'shop@staging',
      publicPort: ports[1],
      bindAddress: '127.0.0.1',
      frontDoor: spec(['staging.test']),
    });
    const address = (id: string, port: number) => ({ id, release: id, port });
    await table.switchRoute({
      app: 'shop@production',
      target: address('p1', production.port),
      drainTimeoutMs: 0,
    });
    await table.switchRoute({ app: 'shop@staging', target: address('s1', staging.port), drainTimeoutMs: 0 });

    expect(await get(https, 'shop.test', true)).toEqual({ status: 200, body: 'production' });
    expect(await get(http, 'staging.test')).toEqual({ status: 200, body: 'staging' });
    expect((await get(http, 'nobody.test')).status).toBe(404);
    expect(await get(ports[0], 'anything')).toEqual({ status: 200, body: 'production' });
    const certDir = join(dir, 'front-door-certificates');
    for (const file of readdirSync(certDir)) expect(statSync(join(certDir, file)).mode & 0o777).toBe(0o600);

    // The unrouting of a target names its app: found on the environment's route.
    expect(await table.unroute({ app: 'shop', targetId: 's1', drainTimeoutMs: 0 })).toEqual({ routed: true });
    await table.switchRoute({ app: 'shop@staging', target: address('s1', staging.port), drainTimeoutMs: 0 });

    await table.close();
    table = await open();
    expect(await get(https, 'shop.test', true)).toEqual({ status: 200, body: 'production' });
    expect(await get(http, 'staging.test')).toEqual({ status: 200, body: 'staging' });
    expect((await table.routes()).routes.map((r) => [r.app, r.frontDoor?.names])).toEqual([
      ['shop@production', ['shop.test']],
      ['shop@staging', ['staging.test']],
    ]);
  });

  it('refuses a name another route holds, naming it, and detaches a route that drops its domains', async () => {
    const { open, backend, http, spec } = await setup();
    const table = await open();
    const blog = await backend('blog');
    const port = await freePort();
    await table.ensureRoute({
      app: 'blog',
      publicPort: port,
      bindAddress: '127.0.0.1',
      frontDoor: spec(['blog.test']),
    });
    await table.switchRoute({
      app: 'blog',
      target: { id: 'b1', release: '1', port: blog.port },
      drainTimeoutMs: 0,
    });
    await expect(
      table.ensureRoute({
        app: 'shop@production',
        publicPort: await freePort(),
        bindAddress: '127.0.0.1',
        frontDoor: spec(['blog.test']),
      }),
    ).rejects.toThrow(/blog/);
    expect((await table.routes()).routes.map((r) => r.app)).toEqual(['blog']);
    expect(await get(http, 'blog.test')).toEqual({ status: 200, body: 'blog' });

    await table.ensureRoute({ app: 'blog', publicPort: port, bindAddress: '127.0.0.1', frontDoor: null });
    await expect(get(http, 'blog.test')).rejects.toThrow(); // the door closed with its last route
    expect(await get(port, 'blog.test')).toEqual({ status: 200, body: 'blog' });
  });

  it('loads a routes.json written before front doors', async () => {
    const { statePath, open, backend } = await setup();
    const app = await backend('old');
    const port = await freePort();
    const active = { id: 't1', release: '1', port: app.port };
    writeFileSync(
      statePath,
      JSON.stringify({
        version: 1,
        routes: [{ app: 'hello', publicPort: port, bindAddress: '127.0.0.1', active, split: null }],
        edges: [],
        trips: [],
      }),
    );
    const table = await open();
    expect(await get(port, 'x')).toEqual({ status: 200, body: 'old' });
    expect((await table.routes()).routes[0]).not.toHaveProperty('frontDoor');
  });
});
