import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSelfSignedCert, type SelfSignedCert } from '../../test/helpers/self-signed-cert.js';
import { LocalHost } from '../hosts/local-host.js';
import { createTestPki } from '../router/test-certificates.js';
import { runSecurityChecks } from './run-security.js';
import type { SecurityPlan } from './verify-suite.js';

// The security checks against a real HTTPS server on port 0 with a certificate made by openssl for this test
// (valid 30 days, for 127.0.0.1), and the local host's real listening ports.

describe('runSecurityChecks over HTTPS', () => {
  let cert: SelfSignedCert;
  let server: Server;
  let baseUrl: string;
  let caPem: string;

  beforeAll(async () => {
    cert = makeSelfSignedCert();
    caPem = cert.cert;
    server = createHttpsServer({ key: cert.key, cert: caPem, minVersion: 'TLSv1.2' }, (req, res) => {
      res.setHeader('strict-transport-security', 'max-age=63072000');
      res.writeHead(req.url === '/.env' ? 200 : 404);
      res.end(req.url === '/.env' ? 'SECRET=1\n' : 'not found\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    baseUrl = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    cert.dispose();
  });

  const plan = (o: Partial<SecurityPlan> = {}): SecurityPlan => ({
    path: '/',
    headers: { 'Strict-Transport-Security': 'max-age=' },
    forbiddenPaths: ['/.git/', '/.env'],
    tls: { minDaysValid: 14, minVersion: 'TLSv1.2', caFile: null },
    allowedPorts: null,
    ...o,
  });
  const summary = (checks: Awaited<ReturnType<typeof runSecurityChecks>>) =>
    checks.map((c) => `${c.name}: ${c.passed ? 'pass' : `FAIL ${c.message}`}`);
  const now = () => Date.now();

  it('trusts the configured CA for every check: headers, forbidden paths, certificate and protocol', async () => {
    const checks = await runSecurityChecks({ baseUrl, ca: [caPem] }, plan(), [], now);
    expect(summary(checks)).toEqual([
      'headers on /: pass',
      '/.git/: pass',
      '/.env: FAIL served with 200',
      `tls ${new URL(baseUrl).host}: pass`,
    ]);
    expect(checks.at(-1)?.measured.protocol).toBe('TLSv1.3');
    expect(checks.at(-1)?.measured.daysLeft).toBeGreaterThanOrEqual(29);
  });

  it('fails a certificate that expires within the margin, or that nothing trusts', async () => {
    const soon = await runSecurityChecks(
      { baseUrl, ca: [caPem] },
      plan({
        tls: { minDaysValid: 60, minVersion: 'TLSv1.2', caFile: null },
        forbiddenPaths: [],
        headers: {},
      }),
      [],
      now,
    );
    expect(summary(soon)).toEqual([
      expect.stringMatching(
        /^tls 127\.0\.0\.1:\d+: FAIL certificate expires in (29|30) days \(at least 60 required\)$/,
      ),
    ]);
    const untrusted = await runSecurityChecks({ baseUrl, ca: null }, plan(), [], now);
    const tls = untrusted.find((c) => c.name.startsWith('tls'));
    expect(tls?.passed).toBe(false);
    expect(tls?.message).toMatch(/certificate not trusted: .*SELF_SIGNED/);
    // Without trust no request gets an answer: nothing was checked, so nothing passes.
    expect(untrusted.find((c) => c.name === '/.git/')?.message).toMatch(/^could not check: /);
    expect(untrusted.every((c) => !c.passed)).toBe(true);
  });
});

describe('runSecurityChecks on a front door', () => {
  it("checks each name's certificate by SNI at the door's address: days left, names covered, trust", async () => {
    const pki = createTestPki();
    const shop = pki.issue('shop', ['shop.test'], { days: 60 });
    const soon = pki.issue('soon', ['soon.test'], { days: 10 });
    // Chooses the certificate by SNI as the front door does; any other name gets the shop's.
    const server = createHttpsServer({
      key: shop.key,
      cert: shop.cert,
      SNICallback: (name, done) =>
        done(null, createSecureContext(name === 'soon.test' ? { key: soon.key, cert: soon.cert } : shop)),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const door = { address: '127.0.0.1', port, names: ['shop.test', 'soon.test', 'other.test'] };
    const tls = { minDaysValid: 14, minVersion: 'TLSv1.2' as const, caFile: null };
    const onDoor = { path: '/', headers: {}, forbiddenPaths: [], tls, allowedPorts: null, frontDoor: door };
    try {
      const checks = await runSecurityChecks(
        { baseUrl: 'http://127.0.0.1:1', ca: [pki.ca] },
        onDoor,
        [],
        () => Date.now(),
      );
      expect(checks.map((c) => `${c.name}: ${c.passed ? 'pass' : `FAIL ${c.message}`}`)).toEqual([
        `tls shop.test:${port} (front door at 127.0.0.1): pass`,
        `tls soon.test:${port} (front door at 127.0.0.1): FAIL certificate expires in 9 days (at least 14 required)`,
        `tls other.test:${port} (front door at 127.0.0.1): FAIL certificate does not cover other.test (it is for DNS:shop.test)`,
      ]);
      expect(checks[0]?.message).toMatch(/^TLSv1\.3, certificate for shop\.test valid 59 more days$/);
      // The system's CAs alone do not trust a private CA.
      const [untrusted] = await runSecurityChecks(
        { baseUrl: 'http://127.0.0.1:1', ca: null },
        { ...onDoor, frontDoor: { ...door, names: ['shop.test'] } },
        [],
        () => Date.now(),
      );
      expect(untrusted?.message).toBe('certificate not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      // An http url with no front door: no TLS to check.
      expect(
        await runSecurityChecks(
          { baseUrl: 'http://127.0.0.1:1', ca: null },
          { ...onDoor, frontDoor: undefined },
          [],
          () => Date.now(),
        ),
      ).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      pki.remove();
    }
  });
});

describe('runSecurityChecks on the local host', () => {
  it('reads the listening ports through the Host port and names a listener that is not allowed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'sw-h-'));
    const host = new LocalHost(home);
    const listener = createHttpsServer();
    // Listens on every address so that it counts; nothing connects to it.
    await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve));
    const address = listener.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const [check] = await runSecurityChecks(
        { baseUrl: 'http://127.0.0.1:1', ca: null },
        { path: '/', headers: {}, forbiddenPaths: [], tls: null, allowedPorts: [22] },
        [host],
        () => 0,
      );
      expect(check?.name).toBe('ports on local');
      expect(check?.passed).toBe(false);
      expect(check?.message).toContain(`port ${port} (`);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
      rmSync(home, { recursive: true, force: true });
    }
  });
});
