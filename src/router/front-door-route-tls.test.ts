/**
 * The front door's HTTPS redirect and HSTS, per route: routes with different settings on one door, by name and
 * by path prefix, over separate and shared keep-alive connections, for requests and upgrades; fast path on and off.
 */
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrontDoor } from './front-door.js';
import { Router } from './router.js';
import { startBackend, useCleanup, type Backend } from './test-backends.js';
import { createTestPki, type TestPki } from './test-certificates.js';
import { connectRaw, statusLines } from './test-raw-client.js';
import { CertificateStore } from './tls/certificate-store.js';

const cleanup = useCleanup();
const plainClient = new Agent();
let pki: TestPki;
let store: CertificateStore;
let backend: Backend;
const STRICT = 'max-age=600; includeSubDomains';

beforeAll(async () => {
  pki = createTestPki();
  const leaves = {
    open: pki.issue('open', ['open.test']),
    strict: pki.issue('strict', ['strict.test', 'idle.test']),
    split: pki.issue('split', ['split.test']),
  };
  store = await CertificateStore.load({
    certificates: Object.entries(leaves).map(([id, l]) => ({ id, certFile: l.certFile, keyFile: l.keyFile })),
    watch: false,
  });
  backend = await startBackend((req, res) => {
    if (req.url === '/own-hsts') res.setHeader('strict-transport-security', 'max-age=5');
    res.end(`${req.headers.host} ${req.url}`);
  });
  backend.server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
    socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
  });
});
afterAll(async () => {
  await plainClient.close();
  await backend.close();
  store.close();
  pki.remove();
});

async function openDoor(fastPath: boolean): Promise<FrontDoor> {
  const previous = process.env.SLIPWAY_ROUTER_FAST_PATH;
  process.env.SLIPWAY_ROUTER_FAST_PATH = fastPath ? '1' : '0';
  try {
    const door = await FrontDoor.listen({ port: 0, host: '127.0.0.1', tls: { port: 0, store } });
    cleanup(() => door.close());
    const app = Router.detached();
    app.addTarget({ id: 'app', release: 'v1', port: backend.port });
    app.setActive('app');
    const idle = Router.detached(); // no active target: the router's own 503
    cleanup(() => Promise.all([app.close(), idle.close()]));
    door.attach({ id: 'open', names: ['open.test'], redirect: false }, app);
    door.attach(
      { id: 'strict', names: ['strict.test'], hsts: { maxAgeS: 600, includeSubDomains: true } },
      app,
    );
    door.attach({ id: 'idle', names: ['idle.test'], hsts: { maxAgeS: 600, includeSubDomains: true } }, idle);
    door.attach({ id: 'split', names: ['split.test'] }, app);
    door.attach(
      { id: 'split-api', names: ['split.test'], pathPrefix: '/api', redirect: false, hsts: { maxAgeS: 60 } },
      app,
    );
    return door;
  } finally {
    if (previous === undefined) delete process.env.SLIPWAY_ROUTER_FAST_PATH;
    else process.env.SLIPWAY_ROUTER_FAST_PATH = previous;
  }
}

async function plain(door: FrontDoor, host: string, path = '/') {
  const res = await request(`http://127.0.0.1:${door.port}${path}`, {
    dispatcher: plainClient,
    headers: { host },
  });
  return { status: res.statusCode, location: res.headers.location, body: await res.body.text() };
}

async function https(door: FrontDoor, host: string, path = '/') {
  const agent = new Agent({ connect: { ca: pki.ca, servername: host } });
  try {
    const res = await request(`https://127.0.0.1:${door.tlsPort}${path}`, {
      dispatcher: agent,
      headers: { host },
    });
    return {
      status: res.statusCode,
      hsts: res.headers['strict-transport-security'],
      body: await res.body.text(),
    };
  } finally {
    await agent.close();
  }
}

/** The complete answers in a raw connection's text: status and HSTS value of each. */
function answersIn(text: string): { status: number; hsts: string | null }[] {
  const answers: { status: number; hsts: string | null }[] = [];
  for (const a of text.split(/(?=HTTP\/1\.1 \d{3} )/)) {
    const end = a.indexOf('\r\n\r\n');
    const length = Number(/^content-length: (\d+)\r$/im.exec(a)?.[1] ?? 0);
    if (end < 0 || a.length - end - 4 < length) break;
    answers.push({
      status: statusLines(a)[0] ?? 0,
      hsts: /^strict-transport-security: (.*)\r$/im.exec(a)?.[1] ?? null,
    });
  }
  return answers;
}

describe.each([
  ['fast path', true],
  ['classic path', false],
])('FrontDoor routes with their own redirect and HSTS, %s', (_name, fastPath) => {
  it('redirects each route to HTTPS, or not, as it says: by name and by path prefix', async () => {
    const door = await openDoor(fastPath);
    expect(await plain(door, 'open.test', '/a?b=1')).toEqual({
      status: 200,
      location: undefined,
      body: 'open.test /a?b=1',
    });
    const strict = await plain(door, 'strict.test', '/cart?id=7');
    expect(strict.status).toBe(308);
    expect(strict.location).toBe(`https://strict.test:${door.tlsPort}/cart?id=7`);
    expect((await plain(door, 'split.test', '/')).status).toBe(308);
    expect((await plain(door, 'split.test', '/apix')).status).toBe(308);
    expect(await plain(door, 'split.test', '/api/orders')).toMatchObject({
      status: 200,
      body: 'split.test /api/orders',
    });
    expect((await plain(door, 'nobody.test')).status).toBe(404);
    // Attached again with other settings: they apply from the next request.
    const app = door.router('open')!;
    door.attach({ id: 'open', names: ['open.test'] }, app);
    expect((await plain(door, 'open.test')).status).toBe(308);
    door.attach({ id: 'strict', names: ['strict.test'], redirect: false }, app);
    expect((await plain(door, 'strict.test')).status).toBe(200);
  });

  it("sets HSTS on that route's HTTPS answers only; an app's own header wins", async () => {
    const door = await openDoor(fastPath);
    expect(await https(door, 'open.test')).toEqual({ status: 200, hsts: undefined, body: 'open.test /' });
    expect(await https(door, 'strict.test', '/x')).toEqual({
      status: 200,
      hsts: STRICT,
      body: 'strict.test /x',
    });
    expect((await https(door, 'strict.test', '/own-hsts')).hsts).toBe('max-age=5');
    expect(await https(door, 'split.test', '/api')).toMatchObject({ status: 200, hsts: 'max-age=60' });
    expect((await https(door, 'split.test', '/')).hsts).toBeUndefined();
    // The router's own answer for the route (no target: 503) carries the route's HSTS too.
    expect(await https(door, 'idle.test')).toMatchObject({ status: 503, hsts: STRICT });
    // Never on the plain port.
    const res = await request(`http://127.0.0.1:${door.port}/api`, {
      dispatcher: plainClient,
      headers: { host: 'split.test' },
    });
    await res.body.dump();
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('decides per request on one keep-alive connection, plain and TLS', async () => {
    const door = await openDoor(fastPath);
    const raw = await connectRaw(door.port);
    cleanup(() => void raw.socket.destroy());
    const asks: [string, string][] = [
      ['open.test', '/'],
      ['strict.test', '/'],
      ['open.test', '/again'],
      ['split.test', '/api/1'],
      ['split.test', '/1'],
      ['open.test', '/last'],
    ];
    for (const [i, [host, path]] of asks.entries()) {
      raw.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      await raw.waitFor((t) => answersIn(t).length === i + 1);
    }
    expect(answersIn(raw.text()).map((a) => a.status)).toEqual([200, 308, 200, 200, 308, 200]);
    expect(raw.text()).toMatch(/split\.test \/api\/1[^]*open\.test \/last$/);
    expect(raw.socket.destroyed).toBe(false);

    const tls = await connectRaw(door.tlsPort!, { tls: { ca: pki.ca, servername: 'strict.test' } });
    cleanup(() => void tls.socket.destroy());
    const hosts = ['open.test', 'strict.test', 'open.test', 'idle.test', 'nobody.test', 'strict.test'];
    for (const [i, host] of hosts.entries()) {
      tls.socket.write(`GET /${i} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      await tls.waitFor((t) => answersIn(t).length === i + 1);
    }
    expect(answersIn(tls.text())).toEqual([
      { status: 200, hsts: null },
      { status: 200, hsts: STRICT },
      { status: 200, hsts: null },
      { status: 503, hsts: STRICT },
      { status: 404, hsts: null },
      { status: 200, hsts: STRICT },
    ]);
  });

  it('redirects an upgrade on a redirected route only', async () => {
    const door = await openDoor(fastPath);
    const upgrade = (host: string) =>
      new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port: door.port,
          path: '/ws',
          headers: { host, connection: 'Upgrade', upgrade: 'echo' },
          agent: false,
        });
        req.on('upgrade', (res: IncomingMessage, socket: Socket) => {
          socket.destroy();
          resolve({ status: res.statusCode ?? 0, location: res.headers.location });
        });
        req.on('response', (res: IncomingMessage) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: res.headers.location });
        });
        req.on('error', reject);
        req.end();
      });
    expect(await upgrade('open.test')).toEqual({ status: 101, location: undefined });
    expect(await upgrade('strict.test')).toEqual({
      status: 308,
      location: `https://strict.test:${door.tlsPort}/ws`,
    });
    expect((await upgrade('split.test')).status).toBe(308);
  });
});
