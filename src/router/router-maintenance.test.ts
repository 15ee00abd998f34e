import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { MaintenanceSpec } from './maintenance.js';
import type { Router } from './router.js';
import { startBackend, useCleanup } from './test-backends.js';
import { connectRaw, statusLines } from './test-raw-client.js';
import { listenRouterTo } from './test-router.js';

// Maintenance mode on a real router in front of a real app, on the fast path and on the classic path (Node's
// server owns the port), plain and through the requests the fast path hands to the classic path.
const client = new Agent({ keepAliveTimeout: 10_000 });
afterAll(() => client.close());
const cleanup = useCleanup();

const SPEC: MaintenanceSpec = {
  message: 'Back soon — Wartung läuft',
  retryAfterS: 120,
  healthPath: '/up',
  bypassToken: 'tok-123',
  sinceMs: 1,
  by: 'ops',
};

async function setup(fastPath: boolean): Promise<{ router: Router; url: string; seen: string[] }> {
  const seen: string[] = [];
  const backend = await startBackend((req, res) => {
    seen.push(req.url ?? '');
    if (req.headers.upgrade) res.writeHead(400).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(`app ${req.url}\n`);
  });
  cleanup(backend.close);
  const router = await listenRouterTo(backend.port, { fastPath });
  cleanup(() => router.close());
  return { router, url: `http://127.0.0.1:${router.port}`, seen };
}

async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await request(url, { dispatcher: client, headers, method });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

describe.each([
  ['fast path', true],
  ['classic path', false],
])('maintenance mode on the %s', (_, fastPath) => {
  it('answers 503 with the page, Retry-After and no-store; the health path and testers reach the app', async () => {
    const { router, url, seen } = await setup(fastPath);
    router.setMaintenance(SPEC);

    const browser = await get(`${url}/cart`, { accept: 'text/html,*/*;q=0.8' });
    expect(browser.status).toBe(503);
    expect(browser.headers['retry-after']).toBe('120');
    expect(browser.headers['cache-control']).toBe('no-store');
    expect(browser.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(browser.body).toContain('<h1>Down for maintenance</h1>');
    expect(browser.body).toContain('Back soon &#8212; Wartung l&#228;uft');

    const curl = await get(`${url}/cart`, { accept: '*/*' });
    expect(curl.status).toBe(503);
    expect(curl.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(curl.body).toBe('Back soon — Wartung läuft\n'); // UTF-8 on the wire, length counted in bytes

    const head = await get(`${url}/cart`, {}, 'HEAD');
    expect(head.status).toBe(503);
    expect(head.body).toBe('');

    expect(seen).toEqual([]);
    expect((await get(`${url}/up?probe=lb`)).body).toBe('app /up?probe=lb\n');
    expect((await get(`${url}/cart`, { 'x-slipway-maintenance-bypass': 'tok-123' })).body).toBe(
      'app /cart\n',
    );
    expect((await get(`${url}/a`, { cookie: 'slipway_maintenance_bypass=tok-123' })).body).toBe('app /a\n');
    expect((await get(`${url}/b`, { 'x-slipway-maintenance-bypass': 'tok-124' })).status).toBe(503);
    expect(seen).toEqual(['/up?probe=lb', '/cart', '/a']);

    router.setMaintenance(null);
    expect(await get(`${url}/cart`)).toMatchObject({ status: 200, body: 'app /cart\n' });
  });

  it('keeps the connection alive across 503s and serves on it once maintenance is off', async () => {
    const { router } = await setup(fastPath);
    router.setMaintenance(SPEC);
    const raw = await connectRaw(router.port);
    raw.socket.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
    await raw.waitFor((t) => t.split('Wartung').length === 3 && t.endsWith('\n'));
    expect(statusLines(raw.text())).toEqual([503, 503]);
    expect(raw.text()).not.toContain('connection: close');
    router.setMaintenance(null);
    raw.socket.write('GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const text = await raw.closed;
    expect(statusLines(text)).toEqual([503, 503, 200]);
    expect(text).toContain('app /3\n');
  });

  it('stays on across a switch to another target (a deploy during maintenance)', async () => {
    const { router, url } = await setup(fastPath);
    const v2 = await startBackend((_req, res) => res.end('v2\n'));
    cleanup(v2.close);
    router.setMaintenance(SPEC);
    router.addTarget({ id: 'app-v2', release: 'v2', port: v2.port });
    router.setActive('app-v2');
    expect((await get(`${url}/`)).status).toBe(503);
    expect(router.maintenance).toEqual(SPEC);
    expect((await get(`${url}/`, { 'x-slipway-maintenance-bypass': 'tok-123' })).body).toBe('v2\n');
  });

  it('refuses a WebSocket upgrade, but not a tester’s', async () => {
    const { router } = await setup(fastPath);
    router.setMaintenance(SPEC);
    const upgrade = (extra: string) =>
      `GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`;
    const refused = await connectRaw(router.port);
    refused.socket.write(upgrade(''));
    expect(statusLines(await refused.closed)).toEqual([503]);
    const tester = await connectRaw(router.port);
    tester.socket.write(upgrade('x-slipway-maintenance-bypass: tok-123\r\n'));
    expect(statusLines(await tester.waitFor((t) => statusLines(t).length > 0))).toEqual([400]); // the app's
    tester.socket.destroy();
  });
});

describe('maintenance mode on a fast-path port, for a request the fast path hands to the classic path', () => {
  it('answers a chunked POST with the page too', async () => {
    const { router, seen } = await setup(true);
    router.setMaintenance(SPEC);
    const raw = await connectRaw(router.port);
    raw.socket.write(
      'POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    );
    const text = await raw.closed;
    expect(statusLines(text)).toEqual([503]);
    expect(text).toContain('retry-after: 120');
    expect(seen).toEqual([]);
  });
});
