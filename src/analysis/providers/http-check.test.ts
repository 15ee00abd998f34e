import { describe, expect, it } from 'vitest';
import type { CheckSpecOf, CheckVars } from '../check-result.js';
import { runHttpCheck } from './http-check.js';
import { closedPortUrl, startTestServer } from './test-server.js';

function spec(url: string, overrides: Partial<CheckSpecOf<'http'>> = {}): CheckSpecOf<'http'> {
  return { kind: 'http', name: 'smoke', url, expectStatus: 200, timeout: '2s', ...overrides };
}

function varsFor(canaryUrl: string): CheckVars {
  return { release: 'v2', stable: 'v1', canaryUrl };
}

describe('runHttpCheck', () => {
  it('passes on the expected status, with {{canary}} replaced by the canary address', async () => {
    const canary = await startTestServer((_req, res) => res.end('ok'));
    const result = await runHttpCheck(spec('http://{{canary}}/healthz?deep=1'), varsFor(canary.url));
    expect(result).toEqual({
      name: 'smoke',
      status: 'pass',
      detail: `GET http://${canary.host}/healthz?deep=1 answered 200`,
      value: 200,
    });
    expect(canary.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /healthz?deep=1']);
  });

  it('sends the canary headers, to reach the canary through the router', async () => {
    const router = await startTestServer((req, res) => {
      res.statusCode = req.headers['x-slipway-canary'] === 'always' ? 200 : 418;
      res.end();
    });
    const result = await runHttpCheck(spec('http://{{canary}}/'), {
      ...varsFor(router.url),
      canaryHeaders: { 'X-Slipway-Canary': 'always' },
    });
    expect(result.status).toBe('pass');
  });

  it('fails on any other status', async () => {
    const canary = await startTestServer((_req, res) => {
      res.statusCode = 503;
      res.end('down');
    });
    expect(await runHttpCheck(spec(`${canary.url}/healthz`), varsFor(canary.url))).toEqual({
      name: 'smoke',
      status: 'fail',
      detail: `GET ${canary.url}/healthz answered 503, expected 200`,
      value: 503,
    });
  });

  it('takes a redirect as the answer rather than following it', async () => {
    const canary = await startTestServer((_req, res) => {
      res.writeHead(301, { location: '/elsewhere' });
      res.end();
    });
    const result = await runHttpCheck(spec(`${canary.url}/old`, { expectStatus: 301 }), varsFor(canary.url));
    expect(result).toMatchObject({ status: 'pass', value: 301 });
    expect(canary.requests).toHaveLength(1);
  });

  it('does not wait for the end of a streaming body', async () => {
    const canary = await startTestServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: hello\n\n');
    });
    const result = await runHttpCheck(spec(`${canary.url}/events`, { timeout: '30s' }), varsFor(canary.url));
    expect(result.status).toBe('pass');
  });

  it('fails when the canary does not answer within the timeout', async () => {
    const canary = await startTestServer(() => undefined);
    expect(await runHttpCheck(spec(`${canary.url}/slow`, { timeout: '50ms' }), varsFor(canary.url))).toEqual({
      name: 'smoke',
      status: 'fail',
      detail: `GET ${canary.url}/slow got no answer within 50ms`,
    });
  });

  it('fails when nothing listens', async () => {
    const url = await closedPortUrl();
    expect(await runHttpCheck(spec(`${url}/healthz`), varsFor(url))).toEqual({
      name: 'smoke',
      status: 'fail',
      detail: `GET ${url}/healthz failed: connection refused`,
    });
  });
});
