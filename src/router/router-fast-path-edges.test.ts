import { spawn } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { TargetMetrics } from '../agent/protocol.js';
import { Router } from './router.js';
import { listenRouterTo } from './test-router.js';
import { REFUSED_PORT, readBody, signal, startBackend, useCleanup, type Backend } from './test-backends.js';
import { connectRaw, statusLines } from './test-raw-client.js';

// The fast path's edges: retries, aborts, smuggling attempts, hand-offs to the classic path, counters, drain.
const client = new Agent({ keepAliveTimeout: 10_000 });
afterAll(() => client.close());
const cleanup = useCleanup();

async function routeTo(port: number, opts: { fastPath?: boolean } = {}): Promise<Router> {
  const router = await listenRouterTo(port, opts);
  cleanup(() => router.close());
  return router;
}

async function backendOf(handler: Parameters<typeof startBackend>[0]): Promise<Backend> {
  const backend = await startBackend(handler);
  cleanup(backend.close);
  return backend;
}

function openConnections(backend: Backend): Promise<number> {
  return new Promise((resolve, reject) =>
    backend.server.getConnections((err, count) => (err ? reject(err) : resolve(count))),
  );
}

async function untilConnections(backend: Backend, open: number): Promise<void> {
  while ((await openConnections(backend)) !== open) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('Router fast path: failures', () => {
  it('retries a GET on a fresh connection when the app resets a reused one; a POST gets 502', async () => {
    let seen = 0;
    const backend = await backendOf(async (req, res) => {
      seen++;
      await readBody(req);
      if (seen === 2 || seen === 4)
        req.socket.destroy(); // on the kept-alive connection of the answer before
      else res.end(`answer ${seen}`);
    });
    const router = await routeTo(backend.port);
    const get = async () =>
      (await request(`http://127.0.0.1:${router.port}/`, { dispatcher: client })).body.text();
    expect(await get()).toBe('answer 1');
    expect(await get()).toBe('answer 3');
    const post = await request(`http://127.0.0.1:${router.port}/`, {
      method: 'POST',
      body: 'x',
      dispatcher: client,
    });
    await post.body.dump();
    expect(post.statusCode).toBe(502);
    expect(seen).toBe(4);
    expect(router.metrics()[0]).toMatchObject({ requests: 3, errors5xx: 1, proxyErrors: 1, inFlight: 0 });
  });

  it('counts a client that leaves mid-answer (not a proxy error) and does not reuse that app connection', async () => {
    const appSocketClosed = signal();
    const backend = await backendOf((req, res) => {
      if (req.url === '/slow') {
        req.socket.once('close', () => appSocketClosed.resolve());
        res.writeHead(200, { 'content-length': 100 }).write('part of it');
      } else res.end('fine');
    });
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await raw.waitFor((t) => t.includes('part of it'));
    raw.socket.destroy();
    await appSocketClosed.promise; // the router closed its app connection
    await until(() => router.metrics()[0]?.inFlight === 0);
    expect(router.metrics()[0]).toMatchObject({ requests: 1, errors5xx: 0, proxyErrors: 0 });
    const res = await request(`http://127.0.0.1:${router.port}/next`, { dispatcher: client });
    expect(await res.body.text()).toBe('fine');
    expect(backend.connections()).toBe(2);
  });

  it('answers 503 in order to pipelined requests while no target is active, keeping the connection', async () => {
    const router = await Router.listen({ port: 0, host: '127.0.0.1' });
    cleanup(() => router.close());
    const raw = await connectRaw(router.port);
    raw.socket.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await raw.waitFor((t) => statusLines(t).length === 2 && t.endsWith('router)\n'));
    expect(statusLines(text)).toEqual([503, 503]);
    expect(text).toContain('no release is active');
    expect(raw.socket.destroyed).toBe(false);
    raw.socket.destroy();
  });

  it('closes a kept-alive client connection left idle (5 s, as Node does)', async () => {
    const backend = await backendOf((_req, res) => res.end('ok'));
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await raw.waitFor((t) => t.endsWith('ok'));
    expect(await raw.closed).toMatch(/ok$/); // closed by the router, without another byte
  }, 15_000);

  // The 60 s and 300 s limits are checked by a 1 s sweep against performance.now(): only the sweep's interval is
  // faked and the clock is moved on, so sockets, the app and the test's own waits stay real.
  function fakeSweepClock(): (ms: number) => void {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let offsetMs = 0;
    const realNow = performance.now.bind(performance);
    const now = vi.spyOn(performance, 'now').mockImplementation(() => realNow() + offsetMs);
    cleanup(() => {
      now.mockRestore();
      vi.useRealTimers();
    });
    return (ms) => {
      offsetMs += ms;
      vi.advanceTimersByTime(ms);
    };
  }

  it('answers 408 and closes a client whose request head is not complete within 60 s (slowloris)', async () => {
    const advance = fakeSweepClock();
    let seen = 0;
    const backend = await backendOf((_req, res) => {
      seen++;
      res.end('ok');
    });
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    await new Promise((resolve) => setTimeout(resolve, 100)); // real time: the bytes reach the router
    advance(58_000);
    raw.socket.write('a');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(raw.socket.destroyed).toBe(false); // a byte now and then does not extend the head's 60 s
    advance(3_000);
    const text = await raw.closed;
    expect(statusLines(text)).toEqual([408]);
    expect(seen).toBe(0);
  }, 15_000);

  it('answers 502 when the app sends no answer head within 300 s, and counts a proxy error', async () => {
    const advance = fakeSweepClock();
    const arrived = signal();
    const backend = await backendOf(() => arrived.resolve()); // never answers
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
    await arrived.promise;
    advance(298_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(raw.text()).toBe('');
    advance(3_000);
    const text = await raw.waitFor((t) => t.includes('Bad gateway'));
    expect(statusLines(text)).toEqual([502]);
    expect(router.metrics()[0]).toMatchObject({ requests: 1, errors5xx: 1, proxyErrors: 1, inFlight: 0 });
    raw.socket.destroy();
  }, 15_000);

  it('answers 502 when the app does not accept the connection within 5 s (its listen queue is full)', async () => {
    const port = await startUnacceptingListener();
    const advance = fakeSweepClock();
    const router = await routeTo(port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200)); // real time: the connect is under way
    advance(4_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(raw.text()).toBe('');
    advance(2_000);
    const text = await raw.waitFor((t) => t.includes('Bad gateway'));
    expect(statusLines(text)).toEqual([502]);
    expect(router.metrics()[0]).toMatchObject({ requests: 1, errors5xx: 1, proxyErrors: 1, inFlight: 0 });
    raw.socket.destroy();
  }, 15_000);

  it('closes an idle kept-alive app connection after 4 s, and opens a new one for the next request', async () => {
    const backend = await backendOf((_req, res) => res.end('ok'));
    backend.server.keepAliveTimeout = 60_000; // the app would keep it: only the router can close it in time
    const router = await routeTo(backend.port);
    const get = async () =>
      (await request(`http://127.0.0.1:${router.port}/`, { dispatcher: client })).body.text();
    expect(await get()).toBe('ok');
    await untilConnections(backend, 1);
    await untilConnections(backend, 0);
    expect(await get()).toBe('ok');
    expect(backend.connections()).toBe(2);
  }, 15_000);

  it('answers 502 when the app cannot be reached', async () => {
    const router = await routeTo(REFUSED_PORT);
    const res = await request(`http://127.0.0.1:${router.port}/`, { dispatcher: client });
    expect(res.statusCode).toBe(502);
    expect(await res.body.text()).toContain('Bad gateway');
    expect(router.metrics()[0]).toMatchObject({ requests: 1, errors5xx: 1, proxyErrors: 1 });
  });
});

describe('Router fast path: smuggling attempts and hand-offs to the classic path', () => {
  const smuggling: [string, string][] = [
    ['Content-Length with Transfer-Encoding', 'content-length: 4\r\ntransfer-encoding: chunked\r\n'],
    ['two Content-Lengths', 'content-length: 0\r\ncontent-length: 41\r\n'],
  ];
  it.each(smuggling)(
    'never lets %s reach the app as two requests; the client gets 400',
    async (_name, lengths) => {
      const received: string[] = [];
      const backend = await backendOf(async (req, res) => {
        received.push(`${req.method} ${req.url} ${await readBody(req)}`);
        res.end('ok');
      });
      const router = await routeTo(backend.port);
      const raw = await connectRaw(router.port);
      const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
      raw.socket.write(`POST /a HTTP/1.1\r\nHost: x\r\n${lengths}\r\n0\r\n\r\n${smuggled}`);
      const text = await raw.closed;
      expect(statusLines(text)).toEqual([400]);
      expect(received).toEqual([]);
    },
  );

  it('hands a keep-alive connection to the classic path for a WebSocket upgrade on its 2nd request', async () => {
    const backend = await backendOf((_req, res) => res.end('plain'));
    backend.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
      socket.on('data', (chunk: Buffer) => socket.write(`echo:${chunk.toString()}`));
    });
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
    await raw.waitFor((t) => t.endsWith('plain'));
    raw.socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    await raw.waitFor((t) => t.includes('101 Switching Protocols'));
    raw.socket.write('ping');
    await raw.waitFor((t) => t.endsWith('echo:ping'));
    expect(statusLines(raw.text())).toEqual([200, 101]);
    raw.socket.destroy();
  });

  it('hands a keep-alive connection to the classic path for a chunked POST on its 2nd request', async () => {
    const backend = await backendOf(async (req, res) => res.end(`${req.method} ${await readBody(req)}`));
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await raw.waitFor((t) => t.endsWith('GET '));
    raw.socket.write(
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    );
    const text = await raw.closed;
    expect(statusLines(text)).toEqual([200, 200]);
    expect(text.endsWith('POST hello world')).toBe(true);
    // The GET went through the fast path's app connection, the POST through the classic path's own pool.
    expect(backend.connections()).toBe(2);
    expect(router.metrics()[0]).toMatchObject({ requests: 2, inFlight: 0 });
  });

  it('hands over on the first request too: Node answers a malformed request 400', async () => {
    const backend = await backendOf((_req, res) => res.end('ok'));
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n');
    expect(statusLines(await raw.closed)).toEqual([400]);
    expect(backend.connections()).toBe(0);
  });
});

describe('Router fast path: counters, drain and close', () => {
  /** The same mixed traffic, sequentially: 200s, a 500 from the app, a POST, a HEAD, a 404. */
  async function traffic(port: number): Promise<void> {
    for (const [method, path, body] of [
      ['GET', '/a', undefined],
      ['GET', '/fail?token=secret', undefined],
      ['POST', '/b', 'payload'],
      ['HEAD', '/c', undefined],
      ['GET', '/missing', undefined],
      ['GET', '/a', undefined],
    ] as const) {
      const res = await request(`http://127.0.0.1:${port}${path}`, { method, body, dispatcher: client });
      await res.body.dump();
    }
  }
  const comparable = (m: TargetMetrics | undefined) => ({
    requests: m?.requests,
    errors5xx: m?.errors5xx,
    proxyErrors: m?.proxyErrors,
    inFlight: m?.inFlight,
    latencySamples: m?.latency.counts.reduce((a, b) => a + b, 0),
    recent5xx: m?.recent5xx?.map(({ method, path, status }) => ({ method, path, status })),
  });

  it('counts the same as the classic path (SLIPWAY_ROUTER_FAST_PATH=0) for the same traffic', async () => {
    const backend = await backendOf(async (req, res) => {
      await readBody(req);
      res.statusCode = req.url?.startsWith('/fail') ? 500 : req.url === '/missing' ? 404 : 200;
      res.end('body');
    });
    const fast = await routeTo(backend.port);
    const classic = await routeTo(backend.port, { fastPath: false });
    await traffic(fast.port);
    await traffic(classic.port);
    const fastMetrics = comparable(fast.metrics()[0]);
    expect(fastMetrics).toEqual(comparable(classic.metrics()[0]));
    expect(fastMetrics).toMatchObject({ requests: 6, errors5xx: 1, latencySamples: 6 });
    expect(fastMetrics.recent5xx).toEqual([{ method: 'GET', path: '/fail', status: 500 }]);
  });

  it('drain waits for an in-flight fast-path request; destroy cuts one', async () => {
    const arrived = signal();
    const release = signal();
    const backend = await backendOf((req, res) => {
      arrived.resolve();
      void release.promise.then(() => res.end(`done ${req.url}`));
    });
    const other = await backendOf((_req, res) => res.end('other'));
    const router = await routeTo(backend.port);
    router.addTarget({ id: 'b', release: 'v2', port: other.port });

    const slow = request(`http://127.0.0.1:${router.port}/slow`, { dispatcher: client });
    await arrived.promise;
    router.setActive('b');
    let drained = false;
    const drain = router.drain('app', 10_000).then((result) => {
      drained = true;
      return result;
    });
    const res = await request(`http://127.0.0.1:${router.port}/`, { dispatcher: client });
    expect(await res.body.text()).toBe('other');
    expect(drained).toBe(false);
    release.resolve();
    expect(await (await slow).body.text()).toBe('done /slow');
    expect(await drain).toEqual({ drained: true, abandoned: 0 });
    // The drained target's kept-alive fast-path socket was closed with it.
    await untilConnections(backend, 0);

    // destroy(): a request stuck in flight on a removed target is cut with a 502.
    const stuck = await backendOf(() => undefined);
    router.addTarget({ id: 'stuck', release: 'v3', port: stuck.port });
    router.setActive('stuck');
    const cut = request(`http://127.0.0.1:${router.port}/`, { dispatcher: client });
    await until(() => router.metrics().some((m) => m.targetId === 'stuck' && m.inFlight === 1));
    router.setActive('b');
    await router.removeTarget('stuck');
    const cutRes = await cut;
    expect(cutRes.statusCode).toBe(502);
    await cutRes.body.dump();
  });

  it('closes its fast-path client connections on close()', async () => {
    const backend = await backendOf((_req, res) => res.end('ok'));
    const router = await routeTo(backend.port);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await raw.waitFor((t) => t.endsWith('ok'));
    await router.close();
    await raw.closed;
    expect(raw.socket.destroyed).toBe(true);
  });
});

/**
 * A TCP port whose listener never accepts and whose queue is full, so the kernel drops further SYNs and a
 * connect to it hangs (Node's servers always accept, so a small Python process holds it). Stopped by its pid.
 */
async function startUnacceptingListener(): Promise<number> {
  const script = [
    'import socket, sys, time',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'port = s.getsockname()[1]',
    // Fill the accept queue (backlog 0 still queues one): later SYNs are dropped, never answered.
    'fillers = []',
    'for _ in range(4):',
    '    c = socket.socket(); c.setblocking(False)',
    '    try: c.connect(("127.0.0.1", port))',
    '    except BlockingIOError: pass',
    '    fillers.append(c)',
    'time.sleep(0.3)',
    'print(port, flush=True)',
    'time.sleep(120)',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanup(() => {
    child.kill('SIGKILL');
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`python3 exited with ${code}`)));
  });
  return Number(line.trim());
}
