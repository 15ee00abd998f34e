import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, SlipwayError } from '../../core/errors.js';
import { freePort, startBackend, useCleanup } from '../../router/test-backends.js';
import { createTestPki } from '../../router/test-certificates.js';
import { serveControlSocket, type Handlers } from '../control-server.js';
import { EventJournal } from '../event-journal.js';
import type { FrontDoorRouteSpec } from '../protocol.js';
import type { RouterMethods } from './route-protocol.js';
import { RouteTable } from './route-table.js';
import { connectRouterPort } from './router-client.js';

// A certificate shared by a fleet without an edge (`acme.shared`): the control plane runs the order, puts each
// HTTP-01 answer on every host's front door (`acmeChallenge`) and sends the certificate; the router process serves
// it as files and orders nothing itself. Real sockets: the front door's ports and the router process's socket.

const pki = createTestPki();
const shopLeaf = pki.issue('shop', ['shop.test']);
afterAll(() => pki.remove());

// Never reached: nothing may be ordered for a shared certificate.
const ACME = { directoryUrl: 'https://127.0.0.1:9/directory', shared: true };
const TOKEN = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';
const KEY_AUTHORIZATION = `${TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;

async function get(
  port: number,
  host: string,
  options: { tls?: boolean; path?: string } = {},
): Promise<{ status: number; body: string; location?: string }> {
  const tls = options.tls ?? false;
  const pool = new Pool(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, {
    connect: tls ? { ca: pki.ca, servername: host } : {},
  });
  try {
    const res = await pool.request({ path: options.path ?? '/', method: 'GET', headers: { host } });
    const location = res.headers.location;
    return {
      status: res.statusCode,
      body: await res.body.text(),
      ...(typeof location === 'string' ? { location } : {}),
    };
  } finally {
    await pool.close();
  }
}

describe('RouteTable with a certificate the control plane obtains (acme.shared)', () => {
  const cleanup = useCleanup();

  async function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'sw-rt-shared-'));
    cleanup(() => rmSync(dir, { recursive: true, force: true }));
    const open = async () => {
      const table = await RouteTable.open({
        statePath: join(dir, 'routes.json'),
        journal: await EventJournal.open(join(dir, 'events')),
      });
      cleanup(() => table.close());
      return table;
    };
    const backend = await startBackend((_req, res) => res.end('shop'));
    cleanup(() => backend.close());
    const [http, https, publicPort] = [await freePort(), await freePort(), await freePort()];
    const spec = (certificates: FrontDoorRouteSpec['certificates']): FrontDoorRouteSpec => ({
      names: ['shop.test'],
      pathPrefix: '/',
      httpPort: http,
      httpsPort: https,
      bindAddress: '127.0.0.1',
      certificates,
      acme: ACME,
    });
    const ensure = async (table: RouteTable, certificates: FrontDoorRouteSpec['certificates']) => {
      const status = await table.ensureRoute({
        app: 'shop@production',
        publicPort,
        bindAddress: '127.0.0.1',
        frontDoor: spec(certificates),
      });
      await table.switchRoute({
        app: 'shop@production',
        target: { id: 't1', release: '1', port: backend.port },
        drainTimeoutMs: 0,
      });
      return status;
    };
    return { dir, open, ensure, http, https };
  }

  it('serves the certificate sent as files (0600), orders nothing, and reports it as from ACME', async () => {
    const { dir, open, ensure, http, https } = await setup();
    let table = await open();
    const status = await ensure(table, [{ cert: shopLeaf.cert, key: shopLeaf.key }]);
    expect(status.frontDoor?.acme).toBe(true);
    expect(status.frontDoor?.certificates.map((c) => [c.source, c.names])).toEqual([['acme', ['shop.test']]]);

    expect(await get(https, 'shop.test', { tls: true })).toEqual({ status: 200, body: 'shop' });
    expect((await get(http, 'shop.test')).status).toBe(308);
    const certDir = join(dir, 'front-door-certificates');
    expect(readdirSync(certDir)).toHaveLength(2);
    for (const file of readdirSync(certDir)) expect(statSync(join(certDir, file)).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'acme'))).toBe(false); // no ACME account: nothing ordered

    // Renewal is the control plane's.
    await expect(table.renewCertificate({ key: 'shop@production', revoke: false })).rejects.toThrow(
      /control plane/,
    );

    // Saved with `acme.shared`: served again by a new router process, still without ordering.
    await table.close();
    table = await open();
    expect(await get(https, 'shop.test', { tls: true })).toEqual({ status: 200, body: 'shop' });
    const [route] = (await table.routes()).routes;
    expect(route?.frontDoor?.certificates.map((c) => c.source)).toEqual(['acme']);
    expect(existsSync(join(dir, 'acme'))).toBe(false);
  });

  it('serves the names over plain HTTP until the certificate is sent, then over HTTPS', async () => {
    const { dir, open, ensure, http, https } = await setup();
    const table = await open();
    const status = await ensure(table, []);
    expect(status.frontDoor).toMatchObject({ acme: true, certificates: [] });
    expect(await get(http, 'shop.test')).toEqual({ status: 200, body: 'shop' });
    expect(existsSync(join(dir, 'acme'))).toBe(false);

    await ensure(table, [{ cert: shopLeaf.cert, key: shopLeaf.key }]);
    expect(await get(https, 'shop.test', { tls: true })).toEqual({ status: 200, body: 'shop' });
    expect(existsSync(join(dir, 'acme'))).toBe(false);
  });

  it('answers HTTP-01 challenges set by acmeChallenge on the front door, under any name', async () => {
    const { open, ensure, http } = await setup();
    const table = await open();
    await ensure(table, [{ cert: shopLeaf.cert, key: shopLeaf.key }]);
    const path = `/.well-known/acme-challenge/${TOKEN}`;

    expect(await table.acmeChallenge({ token: TOKEN, keyAuthorization: KEY_AUTHORIZATION })).toEqual({
      ok: true,
    });
    for (const host of ['shop.test', 'www.shop.test', 'nobody.test']) {
      expect(await get(http, host, { path })).toEqual({ status: 200, body: KEY_AUTHORIZATION });
    }
    // Before the redirect to HTTPS; any other token is not answered.
    expect((await get(http, 'shop.test', { path: '/.well-known/acme-challenge/other' })).status).toBe(404);

    expect(await table.acmeChallenge({ token: TOKEN, keyAuthorization: null })).toEqual({ ok: true });
    expect((await get(http, 'shop.test', { path })).status).toBe(404);
    // Removing an answer that is not there is fine (the control plane may clean up twice).
    expect(await table.acmeChallenge({ token: TOKEN, keyAuthorization: null })).toEqual({ ok: true });
  });

  it('refuses a bad token or key authorization, setting nothing', async () => {
    const { open, ensure, http } = await setup();
    const table = await open();
    await ensure(table, []);
    const refused = async (token: string, keyAuthorization: string | null, message: RegExp) => {
      const asked = table.acmeChallenge({ token, keyAuthorization });
      await expect(asked).rejects.toThrow(InputError);
      await expect(asked).rejects.toThrow(message);
    };
    await refused('../etc/passwd', KEY_AUTHORIZATION, /not an ACME challenge token/);
    await refused('', null, /not an ACME challenge token/);
    await refused('a'.repeat(257), null, /not an ACME challenge token/);
    await refused(TOKEN, 'other.9jg46WB3rR_AHD', /not the key authorization/);
    await refused(TOKEN, `${TOKEN}.`, /not the key authorization/);
    await refused(TOKEN, `${TOKEN}.abc\ndef`, /not the key authorization/);
    await refused(TOKEN, `${TOKEN}.${'a'.repeat(512)}`, /not the key authorization/);
    const path = `/.well-known/acme-challenge/${TOKEN}`;
    expect((await get(http, 'shop.test', { path })).status).toBe(404);
  });

  it('says that a router process without acmeChallenge predates it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-rt-shared-'));
    cleanup(() => rmSync(dir, { recursive: true, force: true }));
    const socket = join(dir, 'router.sock');
    const handlers = { ping: () => Promise.resolve({ pid: 1, startedAtMs: 0 }) };
    const server = await serveControlSocket<RouterMethods>(
      socket,
      handlers as unknown as Handlers<RouterMethods>,
      'router process',
    );
    cleanup(() => server.close());
    const port = connectRouterPort(socket);
    cleanup(() => port.close());
    const asked = port.acmeChallenge({ token: TOKEN, keyAuthorization: KEY_AUTHORIZATION });
    await expect(asked).rejects.toThrow(SlipwayError);
    await expect(asked).rejects.toThrow(/router process of this host predates acmeChallenge/);
  });
});
