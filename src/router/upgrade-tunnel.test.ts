import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Router } from './router.js';
import { REFUSED_PORT, startBackend, useCleanup } from './test-backends.js';
import { parseStatus } from './upgrade-tunnel.js';

const cleanup = useCleanup();

/** A backend that accepts `Upgrade: echo` and sends every byte back upper-cased (no WebSocket framing). */
async function startEchoUpgradeBackend() {
  const seen: IncomingMessage[] = [];
  const backend = await startBackend((_req, res) => res.end('plain'));
  backend.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    seen.push(req);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
    if (head.length > 0) socket.write(head.toString().toUpperCase());
    socket.on('data', (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
    socket.on('end', () => socket.end());
  });
  cleanup(backend.close);
  return { ...backend, seen };
}

function openUpgrade(port: number): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/live?room=7',
      headers: { connection: 'Upgrade', upgrade: 'echo', 'x-forwarded-for': '198.51.100.4' },
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
}

function exchange(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const onData = (chunk: Buffer) => {
      got += chunk.toString();
      if (got.length >= text.length) {
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.write(text);
  });
}

describe('Upgrade pass-through', () => {
  it('pipes bytes both ways to the active target and counts the tunnel in flight', async () => {
    const backend = await startEchoUpgradeBackend();
    const router = await Router.listen({ port: 0, host: '127.0.0.1' });
    cleanup(() => router.close());
    router.addTarget({ id: 'live', release: 'v1', port: backend.port });
    router.setActive('live');

    const { status, socket } = await openUpgrade(router.port);
    expect(status).toBe(101);
    expect(await exchange(socket, 'hello through the router')).toBe('HELLO THROUGH THE ROUTER');
    expect(await exchange(socket, 'again')).toBe('AGAIN');
    expect(backend.seen[0]?.url).toBe('/live?room=7');
    expect(backend.seen[0]?.headers['x-forwarded-for']).toBe('198.51.100.4, 127.0.0.1');
    expect(router.metrics()[0]?.inFlight).toBe(1);

    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.end();
    await closed;
  });

  it('makes drain wait for an open tunnel until the client closes it', async () => {
    const backend = await startEchoUpgradeBackend();
    const other = await startBackend((_req, res) => res.end('other'));
    cleanup(other.close);
    const router = await Router.listen({ port: 0, host: '127.0.0.1' });
    cleanup(() => router.close());
    router.addTarget({ id: 'old', release: 'v1', port: backend.port });
    router.setActive('old');
    const { socket } = await openUpgrade(router.port);

    router.addTarget({ id: 'new', release: 'v2', port: other.port });
    router.setActive('new');
    let settled = false;
    const drain = router.drain('old', 30_000).finally(() => {
      settled = true;
    });
    // The tunnel still works after the switch, and the drain is still waiting for it.
    expect(await exchange(socket, 'still here')).toBe('STILL HERE');
    expect(settled).toBe(false);

    socket.end();
    expect(await drain).toEqual({ drained: true, abandoned: 0 });
    expect(router.targetIds()).toEqual(['new']);
  });

  it('cuts a tunnel still open at the drain timeout and reports it abandoned', async () => {
    const backend = await startEchoUpgradeBackend();
    const router = await Router.listen({ port: 0, host: '127.0.0.1' });
    cleanup(() => router.close());
    router.addTarget({ id: 'old', release: 'v1', port: backend.port });
    router.addTarget({ id: 'new', release: 'v2', port: backend.port });
    router.setActive('old');
    const { socket } = await openUpgrade(router.port);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    router.setActive('new');

    expect(await router.drain('old', 50)).toEqual({ drained: false, abandoned: 1 });
    await closed;
    expect(socket.destroyed).toBe(true);
  });

  it('tunnels through an edge to a pool member, which a disabled member waits for', async () => {
    const backend = await startEchoUpgradeBackend();
    const router = await Router.listen({ port: 0, host: '127.0.0.1' });
    cleanup(() => router.close());
    router.edgePool.configure({
      healthCheck: {
        path: '/',
        intervalMs: 60_000,
        timeoutMs: 1_000,
        healthyThreshold: 1,
        unhealthyThreshold: 1,
      },
    });
    router.edgePool.add({ id: 'host-a', host: '127.0.0.1', port: backend.port });

    const { status, socket } = await openUpgrade(router.port);
    expect(status).toBe(101);
    expect(await exchange(socket, 'via the edge')).toBe('VIA THE EDGE');
    router.edgePool.setEnabled('host-a', false);
    const idle = router.edgePool.whenIdle('host-a', 30_000);
    expect((await openUpgrade(router.port)).status).toBe(503);
    expect(await exchange(socket, 'still open')).toBe('STILL OPEN');
    socket.end();
    expect(await idle).toEqual({ drained: true, inFlight: 0 });
  });

  it('answers 503 without an active target and 502 when the target is unreachable', async () => {
    const router = await Router.listen({ port: 0, host: '127.0.0.1' });
    cleanup(() => router.close());
    expect((await openUpgrade(router.port)).status).toBe(503);

    router.addTarget({ id: 'dead', release: 'v1', port: REFUSED_PORT });
    router.setActive('dead');
    expect((await openUpgrade(router.port)).status).toBe(502);
    const [m] = router.metrics();
    expect(m).toMatchObject({ requests: 1, proxyErrors: 1, errors5xx: 1, inFlight: 0 });
  });
});

describe('parseStatus', () => {
  it('reads the status code of a status line and 0 otherwise', () => {
    expect(parseStatus(Buffer.from('HTTP/1.1 101 Switching Protocols\r\n'))).toBe(101);
    expect(parseStatus(Buffer.from('garbage that is long'))).toBe(0);
    expect(parseStatus(Buffer.from('HTTP/1.1'))).toBe(0);
  });
});
