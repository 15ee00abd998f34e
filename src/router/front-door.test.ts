/**
 * The front door with real HTTP: routers that do not listen, each reached by name (and path prefix) on one shared
 * port, plain and over TLS, with the fast path on and off.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Agent, Pool, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrontDoor, type FrontDoorListenOptions } from './front-door.js';
import { Router } from './router.js';
import { signal, startBackend, useCleanup, type Backend } from './test-backends.js';
import { createTestPki, type TestLeaf, type TestPki } from './test-certificates.js';
import { connectRaw, statusLines } from './test-raw-client.js';
import { probeTls } from './test-tls-clients.js';
import { CertificateStore } from './tls/certificate-store.js';

const cleanup = useCleanup();
const client = new Agent({ keepAliveTimeout: 10_000 });
afterAll(() => client.close());

let pki: TestPki;
let shopLeaf: TestLeaf;
let blogLeaf: TestLeaf;
beforeAll(() => {
  pki = createTestPki();
  shopLeaf = pki.issue('shop', ['shop.test', 'www.shop.test']);
  blogLeaf = pki.issue('blog', ['blog.test']);
});
afterAll(() => pki.remove());

async function namedBackend(name: string): Promise<Backend> {
  const backend = await startBackend((req, res) => {
    res.setHeader('x-app', name);
    res.end(`${name} ${req.url}`);
  });
  cleanup(backend.close);
  return backend;
}

async function startDoor(fastPath: boolean, extra: Partial<FrontDoorListenOptions> = {}): Promise<FrontDoor> {
  const previous = process.env.SLIPWAY_ROUTER_FAST_PATH;
  if (fastPath) delete process.env.SLIPWAY_ROUTER_FAST_PATH;
  else process.env.SLIPWAY_ROUTER_FAST_PATH = '0';
  try {
    const door = await FrontDoor.listen({ port: 0, host: '127.0.0.1', ...extra });
    cleanup(() => door.close());
    return door;
  } finally {
    if (previous === undefined) delete process.env.SLIPWAY_ROUTER_FAST_PATH;
    else process.env.SLIPWAY_ROUTER_FAST_PATH = previous;
  }
}

/** A detached router with one active target at `backend`, attached to `door` as `id`. */
function attachApp(
  door: FrontDoor,
  id: string,
  names: string[],
  backend: Backend,
  pathPrefix?: string,
): Router {
  const router = Router.detached();
  cleanup(() => router.close());
  router.addTarget({ id: `${id}-1`, release: 'v1', port: backend.port });
  router.setActive(`${id}-1`);
  door.attach({ id, names, pathPrefix }, router);
  return router;
}

async function get(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  const res = await request(`http://127.0.0.1:${port}${path}`, { dispatcher: client, headers: { host } });
  return { status: res.statusCode, body: await res.body.text() };
}

describe.each([
  ['fast path', true],
  ['classic path', false],
])('FrontDoor, %s', (_name, fastPath) => {
  it('sends each name to its own router; an unknown name gets a plain 404', async () => {
    const door = await startDoor(fastPath);
    attachApp(door, 'shop', ['shop.test', 'www.shop.test'], await namedBackend('shop'));
    attachApp(door, 'blog', ['blog.test'], await namedBackend('blog'));
    attachApp(door, 'shop-api', ['shop.test'], await namedBackend('shop-api'), '/api');
    attachApp(door, 'apps', ['*.apps.test'], await namedBackend('apps'));

    expect(await get(door.port, 'shop.test', '/cart')).toEqual({ status: 200, body: 'shop /cart' });
    expect(await get(door.port, 'www.shop.test')).toEqual({ status: 200, body: 'shop /' });
    expect(await get(door.port, 'blog.test', '/post?id=1')).toEqual({ status: 200, body: 'blog /post?id=1' });
    // Host with a port, in capitals, with a trailing dot
    expect(await get(door.port, 'SHOP.Test:8080', '/')).toEqual({ status: 200, body: 'shop /' });
    expect(await get(door.port, 'blog.test.', '/')).toEqual({ status: 200, body: 'blog /' });
    expect(await get(door.port, 'Blog.Test.:80', '/')).toEqual({ status: 200, body: 'blog /' });
    // path prefixes on whole segments
    expect(await get(door.port, 'shop.test', '/api')).toEqual({ status: 200, body: 'shop-api /api' });
    expect(await get(door.port, 'shop.test', '/api/orders?x=1')).toEqual({
      status: 200,
      body: 'shop-api /api/orders?x=1',
    });
    expect(await get(door.port, 'shop.test', '/apix')).toEqual({ status: 200, body: 'shop /apix' });
    expect(await get(door.port, 'www.shop.test', '/api')).toEqual({ status: 200, body: 'shop /api' });
    // wildcard: one label
    expect(await get(door.port, 'a.apps.test', '/')).toEqual({ status: 200, body: 'apps /' });
    const deeper = await get(door.port, 'a.b.apps.test', '/');
    expect(deeper.status).toBe(404);
    // unknown names: 404 with the front door's own short text, never an app's answer
    for (const host of ['unknown.test', 'apps.test', 'shop.test.evil', '127.0.0.1']) {
      const res = await request(`http://127.0.0.1:${door.port}/`, { dispatcher: client, headers: { host } });
      const body = await res.body.text();
      expect(res.statusCode).toBe(404);
      expect(body).toMatch(/^Not found: no app answers to this host name here/);
      expect(res.headers['x-app']).toBeUndefined();
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
    expect(door.routes().map((r) => r.id)).toEqual(['shop', 'blog', 'shop-api', 'apps']);
  });

  it('routes each request of a keep-alive connection by its own Host', async () => {
    const door = await startDoor(fastPath);
    attachApp(door, 'shop', ['shop.test'], await namedBackend('shop'));
    attachApp(door, 'blog', ['blog.test'], await namedBackend('blog'));
    const raw = await connectRaw(door.port);
    cleanup(() => void raw.socket.destroy());
    const ask = async (host: string, n: number, target = '/'): Promise<void> => {
      raw.socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      await raw.waitFor((text) => statusLines(text).length === n);
    };
    await ask('shop.test', 1);
    await ask('blog.test', 2);
    await ask('nobody.test', 3);
    await ask('shop.test', 4);
    // absolute-form: the target's authority wins over Host (this one goes classic on either path)
    await ask('shop.test', 5, 'http://blog.test/abs');
    await ask('blog.test', 6);
    const text = raw.text();
    expect(statusLines(text)).toEqual([200, 200, 404, 200, 200, 200]);
    const bodies = [...text.matchAll(/\r\n\r\n([\s\S]*?)(?=HTTP\/1\.1 \d{3} |$)/g)].map((m) => m[1]);
    expect(bodies).toEqual([
      'shop /',
      'blog /',
      'Not found: no app answers to this host name here (slipway router)\n',
      'shop /',
      'blog /abs',
      'blog /',
    ]);
    expect(raw.socket.destroyed).toBe(false); // the 404 kept the connection open
  });

  it('routes pipelined requests for two names on one connection', async () => {
    const door = await startDoor(fastPath);
    attachApp(door, 'shop', ['shop.test'], await namedBackend('shop'));
    attachApp(door, 'blog', ['blog.test'], await namedBackend('blog'));
    const raw = await connectRaw(door.port);
    cleanup(() => void raw.socket.destroy());
    raw.socket.write(
      'GET /1 HTTP/1.1\r\nHost: blog.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: shop.test\r\n\r\n' +
        'GET /3 HTTP/1.1\r\nHost: blog.test\r\n\r\n',
    );
    const text = await raw.waitFor((t) => statusLines(t).length === 3 && t.endsWith('blog /3'));
    expect([...text.matchAll(/(shop|blog) \/\d/g)].map((m) => m[0])).toEqual([
      'blog /1',
      'shop /2',
      'blog /3',
    ]);
  });

  it('refuses a conflicting attach, naming both routes, and keeps serving the first', async () => {
    const door = await startDoor(fastPath);
    const shop = attachApp(door, 'shop', ['shop.test', 'www.shop.test'], await namedBackend('shop'));
    const other = Router.detached();
    cleanup(() => other.close());
    expect(() =>
      door.attach({ id: 'shop-staging', names: ['staging.test', 'WWW.shop.test'] }, other),
    ).toThrow('routes shop and shop-staging both answer to www.shop.test');
    expect(await get(door.port, 'www.shop.test')).toEqual({ status: 200, body: 'shop /' });
    expect((await get(door.port, 'staging.test')).status).toBe(404);
    expect(door.router('shop')).toBe(shop);
    expect(door.routes().map((r) => r.id)).toEqual(['shop']);
  });

  it('switches one route blue/green under load while another serves: 0 failed requests on both', async () => {
    const door = await startDoor(fastPath);
    const blue = await namedBackend('blue');
    const green = await namedBackend('green');
    const shop = attachApp(door, 'shop', ['shop.test'], blue);
    attachApp(door, 'blog', ['blog.test'], await namedBackend('blog'));

    const pool = new Pool(`http://127.0.0.1:${door.port}`, { connections: 4 });
    cleanup(() => pool.close());
    const answers: Record<string, string[]> = { 'shop.test': [], 'blog.test': [] };
    const failures: string[] = [];
    let stop = false;
    let switched = false;
    const afterSwitch: string[] = [];
    const loop = async (host: string): Promise<void> => {
      for (let i = 0; i < 5_000 && !stop; i++) {
        const wasSwitched = switched;
        try {
          const res = await pool.request({ path: `/?i=${i}`, method: 'GET', headers: { host } });
          const body = await res.body.text();
          if (res.statusCode !== 200) failures.push(`${host}: status ${res.statusCode}`);
          const app = body.split(' ')[0] as string;
          answers[host]!.push(app);
          if (wasSwitched && host === 'shop.test') afterSwitch.push(app);
        } catch (err) {
          failures.push(`${host}: ${String(err)}`);
        }
      }
    };
    const reached = async (n: number): Promise<void> => {
      while (answers['shop.test']!.length + answers['blog.test']!.length < n && !stop) {
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const loops = Promise.all([loop('shop.test'), loop('shop.test'), loop('blog.test'), loop('blog.test')]);
    await reached(300);
    shop.addTarget({ id: 'shop-2', release: 'v2', port: green.port });
    expect(shop.setActive('shop-2')).toBe('shop-1');
    switched = true;
    const drained = await shop.drain('shop-1', 5_000);
    await blue.close();
    const atDrain = answers['shop.test']!.length + answers['blog.test']!.length;
    await reached(atDrain + 300);
    stop = true;
    await loops;

    expect(failures).toEqual([]);
    expect(drained).toEqual({ drained: true, abandoned: 0 });
    expect(new Set(answers['shop.test'])).toEqual(new Set(['blue', 'green']));
    expect(new Set(answers['blog.test'])).toEqual(new Set(['blog']));
    expect(afterSwitch.filter((app) => app !== 'green')).toEqual([]);
    expect(answers['blog.test']!.length).toBeGreaterThan(100);
    expect(shop.metrics().map((m) => m.targetId)).toEqual(['shop-2']);
  });

  it('detaching a route lets its in-flight request finish; new ones get 404', async () => {
    const door = await startDoor(fastPath);
    const arrived = signal();
    const release = signal();
    const slow = await startBackend((_req, res) => {
      arrived.resolve();
      void release.promise.then(() => res.end('slow done'));
    });
    cleanup(slow.close);
    attachApp(door, 'slow', ['slow.test'], slow);
    attachApp(door, 'blog', ['blog.test'], await namedBackend('blog'));

    const pending = get(door.port, 'slow.test', '/long');
    await arrived.promise;
    let detached = false;
    const detaching = door.detach('slow', { timeoutMs: 10_000 }).then((r) => {
      detached = true;
      return r;
    });
    expect((await get(door.port, 'slow.test', '/new')).status).toBe(404);
    expect(await get(door.port, 'blog.test')).toEqual({ status: 200, body: 'blog /' });
    await new Promise((r) => setTimeout(r, 100));
    expect(detached).toBe(false); // waiting for /long
    release.resolve();
    expect(await pending).toEqual({ status: 200, body: 'slow done' });
    expect(await detaching).toEqual({ drained: true, inFlight: 0 });
    expect(door.routes().map((r) => r.id)).toEqual(['blog']);
    expect(await door.detach('slow')).toEqual({ drained: true, inFlight: 0 });
  });

  it('tunnels an upgrade to the route its Host names; an unknown name gets 404', async () => {
    const door = await startDoor(fastPath);
    const backend = await startBackend((_req, res) => res.end('plain'));
    backend.server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
    });
    cleanup(backend.close);
    attachApp(door, 'live', ['live.test'], backend);
    const open = (host: string) =>
      new Promise<{ status: number; socket: Socket }>((resolve, reject) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port: door.port,
          path: '/ws',
          headers: { host, connection: 'Upgrade', upgrade: 'echo' },
          agent: false,
        });
        req.on('upgrade', (res: IncomingMessage, socket: Socket) => {
          cleanup(() => void socket.destroy());
          resolve({ status: res.statusCode ?? 0, socket });
        });
        req.on('response', (res: IncomingMessage) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, socket: res.socket });
        });
        req.on('error', reject);
        req.end();
      });
    const live = await open('live.test');
    expect(live.status).toBe(101);
    const echoed = new Promise<string>((resolve) =>
      live.socket.once('data', (c: Buffer) => resolve(String(c))),
    );
    live.socket.write('hello');
    expect(await echoed).toBe('HELLO');
    expect((await open('other.test')).status).toBe(404);
  });
});

describe.each([
  ['fast path', true],
  ['classic path', false],
])('FrontDoor over TLS, %s', (_name, fastPath) => {
  async function tlsDoor(): Promise<FrontDoor> {
    const store = await CertificateStore.load({
      certificates: [
        { id: 'shop', certFile: shopLeaf.certFile, keyFile: shopLeaf.keyFile },
        { id: 'blog', certFile: blogLeaf.certFile, keyFile: blogLeaf.keyFile },
      ],
      watch: false,
    });
    cleanup(() => store.close());
    return startDoor(fastPath, { tls: { port: 0, store } });
  }

  function httpsAgent(servername: string): Agent {
    const agent = new Agent({ connect: { ca: pki.ca, servername }, keepAliveTimeout: 10_000 });
    cleanup(() => agent.close());
    return agent;
  }

  it('serves two names with their own certificates; an unknown SNI gets no certificate', async () => {
    const door = await tlsDoor();
    attachApp(door, 'shop', ['shop.test', 'www.shop.test'], await namedBackend('shop'));
    attachApp(door, 'blog', ['blog.test'], await namedBackend('blog'));
    attachApp(door, 'nocert', ['nocert.test'], await namedBackend('nocert'));

    for (const [name, app] of [
      ['shop.test', 'shop'],
      ['www.shop.test', 'shop'],
      ['blog.test', 'blog'],
    ] as const) {
      const agent = httpsAgent(name);
      for (const path of ['/a', '/b?x=1']) {
        const res = await request(`https://127.0.0.1:${door.tlsPort}${path}`, {
          dispatcher: agent,
          headers: { host: name },
        });
        expect(res.statusCode).toBe(200);
        expect(await res.body.text()).toBe(`${app} ${path}`);
      }
      const handshake = await probeTls(door.tlsPort!, { servername: name, ca: pki.ca });
      expect(handshake.ok).toBe(true);
      expect(handshake.subjectAltName).toContain(`DNS:${name}`);
    }
    // An SNI no certificate covers (even one a route answers to over plain HTTP) gets no certificate at all.
    for (const name of ['nocert.test', 'unknown.test']) {
      const handshake = await probeTls(door.tlsPort!, { servername: name });
      expect(handshake.ok).toBe(false);
      expect(handshake.fingerprint256).toBeNull();
    }
    // Over a connection made for shop.test, each request is routed by its own Host (a raw client: undici would
    // take the Host as SNI); a Host no route answers to gets 404, no app's content.
    const raw = await connectRaw(door.tlsPort!, { tls: { ca: pki.ca, servername: 'shop.test' } });
    cleanup(() => void raw.socket.destroy());
    raw.socket.write('GET /1 HTTP/1.1\r\nHost: unknown.test\r\n\r\n');
    await raw.waitFor((t) => statusLines(t).length === 1);
    raw.socket.write('GET /2 HTTP/1.1\r\nHost: blog.test\r\n\r\n');
    const text = await raw.waitFor((t) => t.endsWith('blog /2'));
    expect(statusLines(text)).toEqual([404, 200]);
    expect(text).toContain('Not found: no app answers');
    // The plain port redirects the names a certificate covers, and serves the others.
    const plain = await request(`http://127.0.0.1:${door.port}/cart?id=7`, {
      dispatcher: client,
      headers: { host: 'blog.test' },
    });
    await plain.body.dump();
    expect(plain.statusCode).toBe(308);
    expect(plain.headers.location).toBe(`https://blog.test:${door.tlsPort}/cart?id=7`);
    expect(await get(door.port, 'nocert.test', '/x')).toEqual({ status: 200, body: 'nocert /x' });
  });

  it('switches one route under HTTPS load while the other serves: 0 failed requests', async () => {
    const door = await tlsDoor();
    const blue = await namedBackend('blue');
    const green = await namedBackend('green');
    const shop = attachApp(door, 'shop', ['shop.test'], blue);
    attachApp(door, 'blog', ['blog.test'], await namedBackend('blog'));
    const pools = {
      'shop.test': new Pool(`https://127.0.0.1:${door.tlsPort}`, {
        connections: 2,
        connect: { ca: pki.ca, servername: 'shop.test' },
      }),
      'blog.test': new Pool(`https://127.0.0.1:${door.tlsPort}`, {
        connections: 2,
        connect: { ca: pki.ca, servername: 'blog.test' },
      }),
    };
    cleanup(() => Promise.all(Object.values(pools).map((p) => p.close())));
    const answers: string[] = [];
    const afterSwitch: string[] = [];
    const failures: string[] = [];
    let stop = false;
    let switched = false;
    const loop = async (host: 'shop.test' | 'blog.test'): Promise<void> => {
      for (let i = 0; i < 3_000 && !stop; i++) {
        const wasSwitched = switched;
        try {
          const res = await pools[host].request({ path: '/', method: 'GET', headers: { host } });
          const body = await res.body.text();
          if (res.statusCode !== 200) failures.push(`${host}: ${res.statusCode}`);
          answers.push(`${host} ${body.split(' ')[0]}`);
          if (wasSwitched) afterSwitch.push(`${host} ${body.split(' ')[0]}`);
        } catch (err) {
          failures.push(`${host}: ${String(err)}`);
        }
      }
    };
    const wait = async (n: number) => {
      while (answers.length < n) await new Promise((r) => setTimeout(r, 5));
    };
    const loops = Promise.all([loop('shop.test'), loop('shop.test'), loop('blog.test'), loop('blog.test')]);
    await wait(200);
    shop.addTarget({ id: 'shop-2', release: 'v2', port: green.port });
    shop.setActive('shop-2');
    switched = true;
    expect(await shop.drain('shop-1', 5_000)).toEqual({ drained: true, abandoned: 0 });
    const at = answers.length;
    await wait(at + 200);
    stop = true;
    await loops;
    expect(failures).toEqual([]);
    expect(new Set(answers)).toEqual(new Set(['shop.test blue', 'shop.test green', 'blog.test blog']));
    expect(afterSwitch.filter((a) => a === 'shop.test blue')).toEqual([]);
    expect(afterSwitch.length).toBeGreaterThanOrEqual(200);
  });
});
