import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSelfSignedCert } from '../../test/helpers/self-signed-cert.js';
import { runAccessProbe } from './access-probe.js';

// The probe against real servers on port 0: an app that answers, one that fails, a port nobody listens on, one
// that never answers, and an https server whose self-signed certificate must not be trusted.

const spec = (url: string, o: { timeoutMs?: number; expectStatus?: number[] } = {}) => ({
  url,
  timeoutMs: o.timeoutMs ?? 2_000,
  expectStatus: o.expectStatus ?? [],
  tlsMinValidityMs: 0,
});
const now = (): number => Date.now();

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

describe('runAccessProbe', () => {
  let server: Server;
  let port: number;
  const hanging = new Set<import('node:http').ServerResponse>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(req.url === '/broken' ? 503 : req.url === '/moved' ? 302 : 200).end('x');
    });
    port = await listen(server);
  });
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    await new Promise((r) => server.close(r));
  });

  it('is up on a 2xx or 3xx answer, with its latency', async () => {
    const ok = await runAccessProbe(spec(`http://127.0.0.1:${port}/`), now);
    expect(ok).toMatchObject({ ok: true, status: 200, error: null, tls: null });
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);
    expect((await runAccessProbe(spec(`http://127.0.0.1:${port}/moved`), now)).ok).toBe(true);
  });

  it('fails on an unexpected status, a closed port and a timeout, saying why', async () => {
    expect(await runAccessProbe(spec(`http://127.0.0.1:${port}/broken`), now)).toMatchObject({
      ok: false,
      status: 503,
      error: 'unexpected status 503',
    });
    expect(
      (await runAccessProbe(spec(`http://127.0.0.1:${port}/moved`, { expectStatus: [200] }), now)).ok,
    ).toBe(false);
    const closed = new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    expect(await runAccessProbe(spec(`http://127.0.0.1:${await closed}/`), now)).toMatchObject({
      ok: false,
      error: 'ECONNREFUSED',
    });
    expect(
      await runAccessProbe(spec(`http://127.0.0.1:${port}/hang`, { timeoutMs: 300 }), now),
    ).toMatchObject({
      ok: false,
      error: 'no answer within 300ms',
    });
  });

  it('does not trust a certificate whose chain does not verify', async () => {
    const cert = makeSelfSignedCert();
    const tls = createHttpsServer({ key: cert.key, cert: cert.cert }, (_req, res) =>
      res.writeHead(200).end('ok'),
    );
    try {
      const tlsPort = await listen(tls);
      const result = await runAccessProbe(spec(`https://127.0.0.1:${tlsPort}/`), now);
      expect(result).toMatchObject({ ok: false, status: null, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    } finally {
      await new Promise((r) => tls.close(r));
      cert.dispose();
    }
  });
});
