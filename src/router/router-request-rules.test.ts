/**
 * What the router accepts, rewrites and refuses (docs/architecture.md, "What the router accepts…"), on both paths,
 * over plain TCP and over TLS (one suite run against each listener), with real sockets: a raw client, a real
 * router, and an app that records the bytes it receives.
 */
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { beforeEach, describe, expect, it } from 'vitest';
import { Router } from './router.js';
import { startBackend, useCleanup } from './test-backends.js';
import { clientPort, listenRouterTo } from './test-router.js';
import { connectRaw as connectRawTo, statusLines } from './test-raw-client.js';
import { parseHttpStream, startRecordingServer } from './test-framing-harness.js';

const cleanup = useCleanup();

/** The listener under test: set by each `describe.each` case below. */
let overTls = false;

async function routeTo(port: number, fastPath: boolean): Promise<Router> {
  const router = await listenRouterTo(port, { fastPath, tls: overTls });
  cleanup(() => router.close());
  return router;
}

/** A raw client to the router's listener under test (its TLS port over TLS). */
function connectRaw(router: Router) {
  return connectRawTo(clientPort(router), { tls: overTls });
}

async function recordingApp() {
  const app = await startRecordingServer();
  cleanup(() => app.close());
  return app;
}

/** Everything the app received, parsed by Node's parser, over all its connections. */
function appRequests(app: Awaited<ReturnType<typeof recordingApp>>) {
  return app.connections.flatMap((chunks) => parseHttpStream(Buffer.concat(chunks), 'request').messages);
}

/** A raw app that writes `answer` for every request head it reads. */
async function rawApp(answer: string): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      while (pending.includes('\r\n\r\n')) {
        pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
        socket.write(answer, 'latin1');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  );
  return (server.address() as AddressInfo).port;
}

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';

describe.each([
  ['fast path', true, false],
  ['classic path', false, false],
  ['fast path over TLS', true, true],
  ['classic path over TLS', false, true],
])('router request rules, %s', (_name, fastPath, tls) => {
  beforeEach(() => {
    overTls = tls;
  });

  // The reproduction of the smuggling hole, and the variants a user would guess.
  it.each([
    'content-length',
    'Content-Length',
    'keep-alive, Content-Length',
    'CONTENT-LENGTH , close',
    'x-a,content-length',
    'transfer-encoding, content-length',
  ])('a body stays a body when Connection: %s names its length', async (connection) => {
    const app = await recordingApp();
    const router = await routeTo(app.port, fastPath);
    const client = await connectRaw(router);
    // Nothing may follow a request that closes the connection (Node's server answers 400 to it).
    const expected = connection.includes('close') ? 1 : 2;
    client.socket.write(
      `POST / HTTP/1.1\r\nHost: x\r\nConnection: ${connection}\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}` +
        (expected === 2 ? 'GET /next HTTP/1.1\r\nHost: x\r\n\r\n' : ''),
    );
    await client.waitFor((text) => statusLines(text).length >= expected);
    const seen = appRequests(app);
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /', 'GET /next'].slice(0, expected));
    expect(seen[0]?.body).toBe(SMUGGLED);
  });

  it('an answer keeps its length when Connection: content-length names it', async () => {
    const appPort = await rawApp(
      'HTTP/1.1 200 OK\r\nConnection: keep-alive, Content-Length\r\nContent-Length: 2\r\n\r\nok',
    );
    const router = await routeTo(appPort, fastPath);
    const client = await connectRaw(router);
    client.socket.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await client.waitFor((t) => statusLines(t).length >= 2 && t.endsWith('ok'));
    const answers = parseHttpStream(Buffer.from(text, 'latin1'), 'response', {
      requestMethods: ['GET', 'GET'],
    });
    expect(answers.error).toBeNull();
    expect(answers.messages.map((m) => [m.status, m.body])).toEqual([
      [200, 'ok'],
      [200, 'ok'],
    ]);
  });

  it('rewrites an absolute-form target to origin-form, with its authority as Host', async () => {
    const app = await recordingApp();
    const router = await routeTo(app.port, fastPath);
    const client = await connectRaw(router);
    client.socket.write('GET http://shop.example:8080/cart?x=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n');
    await client.waitFor((text) => statusLines(text).length === 1);
    expect(statusLines(client.text())).toEqual([200]);
    expect(app.requests.map((r) => [r.url, r.host])).toEqual([['/cart?x=1', 'shop.example:8080']]);
  });

  it.each(['ftp://evil.example/', 'http://user@evil.example/', 'evil.example:80'])(
    'answers 400 to the target %s and the app never sees it',
    async (target) => {
      const app = await recordingApp();
      const router = await routeTo(app.port, fastPath);
      const client = await connectRaw(router);
      client.socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await client.waitFor((text) => statusLines(text).length === 1);
      expect(statusLines(client.text())).toEqual([400]);
      expect(app.requests).toEqual([]);
    },
  );

  it('answers CONNECT 405 instead of closing without a word', async () => {
    const app = await recordingApp();
    const router = await routeTo(app.port, fastPath);
    const client = await connectRaw(router);
    client.socket.write('CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n');
    expect(statusLines(await client.closed)).toEqual([405]);
    expect(app.requests).toEqual([]);
  });

  it('answers 400 to a method Node does not know, before the app sees it', async () => {
    const app = await recordingApp();
    const router = await routeTo(app.port, fastPath);
    const client = await connectRaw(router);
    client.socket.write('get / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(statusLines(await client.closed)).toEqual([400]);
    expect(app.connections.flat()).toEqual([]);
  });

  // Near Node's 16 KiB head limit: the router's X-Forwarded-* would take the head past the app's limit.
  it('answers 431 itself when the forwarded head would pass the app limit, and forwards what fits', async () => {
    const app = await recordingApp();
    const router = await routeTo(app.port, fastPath);
    const statuses = new Map<number, number>();
    for (let headBytes = 16_384 - 160; headBytes <= 16_384; headBytes += 8) {
      const prefix = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: ';
      const head = `${prefix}${'a'.repeat(headBytes - prefix.length - 4)}\r\n\r\n`;
      expect(head.length).toBe(headBytes);
      const client = await connectRaw(router);
      client.socket.write(head);
      const text = await client.closed;
      const status = statusLines(text)[0]!;
      // A 431 must be the router's own (its body says so), never the app's.
      statuses.set(headBytes, status === 431 && !text.includes('(slipway router)') ? -431 : status);
    }
    const answered = [...statuses.values()];
    // Every request either reached the app (200) or was refused by the router; the app never answered 431.
    expect(new Set(answered)).toEqual(new Set([200, 431]));
    expect(app.requests.length).toBe(answered.filter((s) => s === 200).length);
    const forwarded = appRequests(app);
    expect(forwarded.length).toBe(app.requests.length);
  });

  it('keeps Host where the client put it, so an app that keeps only the first headers still has it', async () => {
    const backend = await startBackend(
      (req, res) => res.end(`host=${req.headers.host ?? '-'}`),
      (server) => {
        server.maxHeadersCount = 20;
      },
    );
    cleanup(backend.close);
    const router = await routeTo(backend.port, fastPath);
    const client = await connectRaw(router);
    const many = Array.from({ length: 30 }, (_, i) => `X-H${i}: v\r\n`).join('');
    client.socket.write(`GET / HTTP/1.1\r\nHost: shop.example\r\n${many}Connection: close\r\n\r\n`);
    const text = await client.closed;
    expect(statusLines(text)).toEqual([200]);
    expect(text).toContain('host=shop.example');
  });

  it('sets X-Forwarded-Proto to the scheme the client used, replacing one the client sent', async () => {
    const app = await recordingApp();
    const router = await routeTo(app.port, fastPath);
    const client = await connectRaw(router);
    client.socket.write(
      'GET /a HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: gopher\r\n\r\n' +
        'POST /b HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Proto: http\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n',
    );
    await client.closed;
    const protos = appRequests(app).map((r) =>
      r.rawHeaders.filter((_, i, all) => i % 2 === 1 && all[i - 1]!.toLowerCase() === 'x-forwarded-proto'),
    );
    // The second request is chunked: the classic path forwards it, on either path.
    expect(protos).toEqual([[tls ? 'https' : 'http'], [tls ? 'https' : 'http']]);
  });

  it('sends no body with its own answer to HEAD', async () => {
    const router = await routeTo(1, fastPath); // nothing listens on port 1: a 502
    const client = await connectRaw(router);
    client.socket.write(
      'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const text = await client.closed;
    const answers = parseHttpStream(Buffer.from(text, 'latin1'), 'response', {
      requestMethods: ['HEAD', 'HEAD'],
      atEof: true,
    });
    expect(answers.error).toBeNull();
    expect(answers.messages.map((m) => [m.status, m.body])).toEqual([
      [502, ''],
      [502, ''],
    ]);
  });
});
