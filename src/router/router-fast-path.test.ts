import { createHash } from 'node:crypto';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Router } from './router.js';
import { startBackend, useCleanup } from './test-backends.js';
import { connectRaw, statusLines } from './test-raw-client.js';

// The router's public port is the fast path unless SLIPWAY_ROUTER_FAST_PATH=0; these tests exercise framing,
// pipelining and backpressure on it with real sockets.
const client = new Agent({ keepAliveTimeout: 10_000 });
afterAll(() => client.close());
const cleanup = useCleanup();

async function routeTo(port: number): Promise<Router> {
  const router = await Router.listen({ port: 0, host: '127.0.0.1' });
  cleanup(() => router.close());
  router.addTarget({ id: 'app', release: 'v1', port });
  router.setActive('app');
  return router;
}

/** A backend that answers each request with its path. */
async function startPathBackend() {
  const backend = await startBackend((req, res) => {
    const body = `path ${req.url}\n`;
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
  });
  cleanup(backend.close);
  return backend;
}

/** A backend speaking raw bytes, for answers Node's server would not write (close-delimited). */
async function startRawBackend(answer: (socket: Socket, head: string) => void) {
  const server = createNetServer((socket) => {
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) answer(socket, head);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('Router fast path', () => {
  it('answers pipelined GETs in order on one connection', async () => {
    const backend = await startPathBackend();
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    raw.socket.write(
      'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const text = await raw.closed;
    expect(statusLines(text)).toEqual([200, 200, 200]);
    expect([...text.matchAll(/path (\/\w)/g)].map((m) => m[1])).toEqual(['/a', '/b', '/c']);
    expect(text).toMatch(/connection: close\r\n\r\npath \/c\n$/);
    expect(router.metrics()[0]).toMatchObject({ requests: 3, proxyErrors: 0, inFlight: 0 });
  });

  it('holds pipelined requests beyond the head limit while the app is slow, then answers all in order', async () => {
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const backend = await startBackend((req, res) => {
      const body = `path ${req.url?.slice(0, 6)}\n`;
      const answer = () => res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
      if (req.url?.startsWith('/slow')) void released.then(answer);
      else answer();
    });
    cleanup(backend.close);
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    const pad = 'p'.repeat(120);
    const paths = Array.from({ length: 200 }, (_, i) => `/${String(i).padStart(4, '0')}?${pad}`);
    raw.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    // About 30 KiB of requests queue behind the slow one: more than the router buffers before it stops reading.
    raw.socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    await until(() => router.metrics()[0]?.inFlight === 1);
    release();
    const text = await raw.waitFor((t) => statusLines(t).length === 201);
    expect([...text.matchAll(/path (\/\w{4})/g)].map((m) => m[1])).toEqual([
      '/slow',
      ...paths.map((p) => p.slice(0, 5)),
    ]);
    raw.socket.destroy();
  });

  it('streams a 5 MiB POST body to a slow app with backpressure, intact', async () => {
    const backend = await startBackend((req, res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
        req.pause(); // a slow reader: the router must hold the client back, not buffer 5 MiB
        setTimeout(() => req.resume(), 1);
      });
      req.on('end', () => res.end(`${bytes} ${hash.digest('hex')}`));
    });
    cleanup(backend.close);
    const router = await routeTo(backend.port);
    const body = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;

    const res = await request(`http://127.0.0.1:${router.port}/upload`, {
      method: 'POST',
      body,
      dispatcher: client,
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe(`${body.length} ${createHash('sha256').update(body).digest('hex')}`);
  });

  it('relays every byte value of a small binary answer unchanged', async () => {
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) & 0xff));
    const backend = await startBackend((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
      res.end(bytes);
    });
    cleanup(backend.close);
    const router = await routeTo(backend.port);
    const res = await request(`http://127.0.0.1:${router.port}/bin`, { dispatcher: client });
    expect(Buffer.from(await res.body.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('relays a chunked answer as it is and keeps the connection for the next request', async () => {
    const backend = await startBackend((req, res) => {
      res.write('first,');
      setTimeout(() => res.end(`second ${req.url}`), 5);
    });
    cleanup(backend.close);
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET /one HTTP/1.1\r\nHost: x\r\n\r\n');
    await raw.waitFor((t) => t.endsWith('0\r\n\r\n'));
    raw.socket.write('GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const text = await raw.closed;
    expect(statusLines(text)).toEqual([200, 200]);
    expect(text).toContain('transfer-encoding: chunked\r\n');
    expect(text).toContain('6\r\nfirst,\r\n');
    expect(text).toContain('b\r\nsecond /one\r\n0\r\n\r\n');
    expect(text).toContain('b\r\nsecond /two\r\n0\r\n\r\n');

    const res = await request(`http://127.0.0.1:${router.port}/three`, { dispatcher: client });
    expect(await res.body.text()).toBe('first,second /three');
  });

  it('relays an answer delimited by the app closing, then closes the client connection', async () => {
    const port = await startRawBackend((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil');
      setTimeout(() => socket.end(' the end'), 5);
    });
    const router = await routeTo(port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await raw.closed;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('connection: close\r\n');
    expect(text).toMatch(/\r\n\r\nuntil the end$/);
    expect(router.metrics()[0]).toMatchObject({ requests: 1, proxyErrors: 0 });
  });

  it("adds a Date header when the app sends none, as Node's server does, and keeps the app's own", async () => {
    const port = await startRawBackend((socket, head) => {
      const date = head.includes('GET /dated ') ? 'Date: Tue, 01 Dec 2026 10:00:00 GMT\r\n' : '';
      socket.write(`HTTP/1.1 200 OK\r\n${date}content-length: 2\r\n\r\nok`);
    });
    const router = await routeTo(port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET /undated HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const undated = await raw.closed;
    const date = /\r\ndate: ([^\r]+)\r\n/i.exec(undated)?.[1];
    expect(date).toBeDefined();
    expect(new Date(date as string).toUTCString()).toBe(date); // an IMF-fixdate, not a stray value

    const dated = await request(`http://127.0.0.1:${router.port}/dated`, { dispatcher: client });
    await dated.body.dump();
    expect(dated.headers.date).toBe('Tue, 01 Dec 2026 10:00:00 GMT');
  });

  it('frames HEAD, 204 and 304 answers without a body', async () => {
    const backend = await startBackend((req, res) => {
      if (req.url === '/204') res.writeHead(204).end();
      else if (req.url === '/304') res.writeHead(304, { etag: '"v1"' }).end();
      else
        res.writeHead(200, { 'content-length': 11 }).end(req.method === 'HEAD' ? undefined : 'hello world');
    });
    cleanup(backend.close);
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    raw.socket.write(
      'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /304 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const text = await raw.closed;
    expect(statusLines(text)).toEqual([200, 204, 304, 200]);
    expect(text.match(/content-length: 11\r\n/gi)).toHaveLength(2); // HEAD keeps the declared length
    expect(text.split('hello world')).toHaveLength(2); // one body only, at the very end
    expect(text.endsWith('hello world')).toBe(true);
  });

  it('does not relay 103 Early Hints, only the final answer', async () => {
    const backend = await startBackend((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.end('final');
    });
    cleanup(backend.close);
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const text = await raw.closed;
    expect(statusLines(text)).toEqual([200]);
    expect(text).not.toContain('style.css');
    expect(text.endsWith('final')).toBe(true);
  });

  it('answers 502 when the app sends an invalid head, and counts a proxy error', async () => {
    const port = await startRawBackend((socket) => socket.end('HTTP/1.1 200 OK\r\nbad header\r\n\r\n'));
    const router = await routeTo(port);
    const res = await request(`http://127.0.0.1:${router.port}/`, { dispatcher: client });
    expect(res.statusCode).toBe(502);
    await res.body.dump();
    expect(router.metrics()[0]).toMatchObject({ requests: 1, errors5xx: 1, proxyErrors: 1 });
  });

  it("adds the canary's sticky cookie to a fast-path answer", async () => {
    const stable = await startPathBackend();
    const canary = await startBackend((_req, res) => res.end('canary'));
    cleanup(canary.close);
    const router = await routeTo(stable.port);
    router.addTarget({ id: 'canary', release: 'v2', port: canary.port });
    router.setSplit({ canary: 'canary', weight: 100, cookie: 'slipway-bucket', header: 'x-canary' });
    const res = await request(`http://127.0.0.1:${router.port}/`, { dispatcher: client });
    expect(await res.body.text()).toBe('canary');
    expect(String(res.headers['set-cookie'])).toMatch(/^slipway-bucket=\d+/);
  });
});
