import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSelfSignedCert } from '../../test/helpers/self-signed-cert.js';
import { createTestPki } from '../router/test-certificates.js';
import { describeProbeTarget, runAccessProbe } from './access-probe.js';

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
      expect(result).toMatchObject({
        ok: false,
        status: null,
        error: 'certificate not accepted: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)',
      });
    } finally {
      await new Promise((r) => tls.close(r));
      cert.dispose();
    }
  });

  it('reaches a name at another address (Host and SNI), trusting the CA it is given', async () => {
    const pki = createTestPki();
    const leaf = pki.issue('shop', ['shop.test']);
    const seen: Array<string | undefined> = [];
    const tls = createHttpsServer({ key: leaf.key, cert: leaf.cert }, (req, res) => {
      seen.push(req.headers.host);
      res.writeHead(200).end('ok');
    });
    try {
      const tlsPort = await listen(tls);
      const url = `https://shop.test:${tlsPort}/`;
      const trusted = await runAccessProbe({ ...spec(url), connectTo: '127.0.0.1', ca: [pki.ca] }, now);
      expect(trusted).toMatchObject({ ok: true, status: 200, via: '127.0.0.1', error: null });
      expect(trusted.tls?.subject).toBe('shop.test');
      expect(seen).toEqual([`shop.test:${tlsPort}`]);
      expect(describeProbeTarget(trusted)).toBe(`${url} via 127.0.0.1`);
      // Without the CA the certificate is refused, and the result says why.
      const untrusted = await runAccessProbe({ ...spec(url), connectTo: '127.0.0.1' }, now);
      expect(untrusted.ok).toBe(false);
      expect(untrusted.error).toMatch(/^certificate not accepted: .*\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/);
      // Another name at the same address: the certificate does not cover it.
      const other = await runAccessProbe(
        { ...spec(`https://other.test:${tlsPort}/`), connectTo: '127.0.0.1', ca: [pki.ca] },
        now,
      );
      expect(other.error).toMatch(
        /^certificate not accepted: .*other\.test.*\(ERR_TLS_CERT_ALTNAME_INVALID\)$/,
      );
    } finally {
      await new Promise((r) => tls.close(r));
      pki.remove();
    }
  });
});
