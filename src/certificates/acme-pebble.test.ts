// Against a real ACME CA: Pebble on loopback (src/certificates/test-pebble.ts). Its validation really fetches the
// HTTP-01 answer from the server below (and does the TLS-ALPN-01 handshake with the TLS one), by names that its
// DNS server resolves to 127.0.0.1.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeError } from './acme-error.js';
import { createAcmeIssuer, type AcmeIssuer } from './acme-issuer.js';
import { ACCOUNT_KEY_FILE, readCertificate, type StoredCertificate } from './certificate-files.js';
import { createCertificateManager, type CertificateFailure } from './certificate-manager.js';
import { ACME_TLS_ALPN, answerHttp01, Http01Answers, TlsAlpn01Answers } from './challenges.js';
import { freePort, startPebble, type RunningPebble } from './test-pebble.js';

const VALIDITY_S = 12;

let pebble: RunningPebble;
let http: Server;
let tls: TlsServer;
let dir: string;
const answers = new Http01Answers();
const alpn = new TlsAlpn01Answers();
/** What Pebble's validation asked our HTTP-01 server: host and path. */
const fetched: { host: string; path: string; status: number }[] = [];
const alpnHandshakes: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sw-acme-'));
  const [httpPort, tlsPort] = [await freePort(), await freePort()];
  http = createServer((req, res) => {
    res.on('finish', () =>
      fetched.push({ host: req.headers.host ?? '', path: req.url ?? '', status: res.statusCode }),
    );
    if (!answerHttp01(answers, req, res)) res.writeHead(418).end('not a challenge\n');
  });
  await new Promise<void>((resolve) => http.listen(httpPort, '127.0.0.1', resolve));
  tls = createTlsServer({
    ALPNProtocols: [ACME_TLS_ALPN],
    SNICallback: (name, cb) => {
      alpnHandshakes.push(name);
      cb(null, alpn.contextFor(name));
    },
  });
  await new Promise<void>((resolve) => tls.listen(tlsPort, '127.0.0.1', resolve));
  pebble = await startPebble({ httpPort, tlsPort, validitySeconds: VALIDITY_S });
});

afterAll(async () => {
  await pebble?.stop();
  await new Promise((resolve) => http?.close(resolve));
  await new Promise((resolve) => tls?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function issuer(over: Partial<Parameters<typeof createAcmeIssuer>[0]> = {}): AcmeIssuer {
  return createAcmeIssuer({
    ca: { directory: pebble.directoryUrl, email: 'ops@shop.test', caBundle: pebble.caBundle },
    accountDir: join(dir, 'account'),
    http01: answers,
    poll: { attempts: 20, minMs: 100, maxMs: 1000 },
    ...over,
  });
}

async function certStatus(serial: string): Promise<string> {
  const res = await pebble.management(`/cert-status-by-serial/${serial}`);
  return (JSON.parse(res.body) as { Status: string }).Status;
}

describe('ACME against Pebble', () => {
  const certs = () => join(dir, 'certs');
  let first: StoredCertificate;

  it('issues a certificate for two names, the HTTP-01 challenges fetched by Pebble from our handler', async () => {
    const issued: string[] = [];
    const manager = createCertificateManager({
      dir: certs(),
      issuer: issuer(),
      onIssued: (c, reason) => issued.push(`${c.id}:${reason}`),
    });
    first = await manager.ensure('shop', ['shop.test', 'www.shop.test']);

    expect(issued).toEqual(['shop:missing']);
    // Pebble's validation asked our server, by each name, for a token it then found.
    const hosts = fetched.filter(
      (f) => f.path.startsWith('/.well-known/acme-challenge/') && f.status === 200,
    );
    expect([...new Set(hosts.map((f) => f.host.split(':')[0]))].sort()).toEqual([
      'shop.test',
      'www.shop.test',
    ]);
    const leaf = new X509Certificate(first.certificate);
    expect(leaf.subjectAltName).toContain('DNS:shop.test');
    expect(leaf.subjectAltName).toContain('DNS:www.shop.test');
    expect(first.issuer).toMatch(/Pebble Intermediate CA/);
    expect(first.names).toEqual(['shop.test', 'www.shop.test']);
    expect(Date.parse(first.notAfter) - Date.parse(first.notBefore)).toBeLessThanOrEqual(VALIDITY_S * 1000);
    // The chain: the leaf is signed by the intermediate that came with it; the key is the leaf's.
    const chain = first.certificate
      .split(/(?<=-----END CERTIFICATE-----\n?)/)
      .filter((p) => p.includes('BEGIN'));
    expect(chain.length).toBeGreaterThanOrEqual(2);
    expect(leaf.checkIssued(new X509Certificate(chain[1]!))).toBe(true);
    expect(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(first.key))).toBe(true);
    // Files: 0600, nothing half-written left.
    expect(statSync(join(certs(), 'shop.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'account', ACCOUNT_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(readdirSync(certs()).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await certStatus(first.serial)).toBe('Valid');
    // Asked again: the same certificate, no new order.
    expect((await manager.ensure('shop', ['www.shop.test', 'shop.test'])).serial).toBe(first.serial);
  });

  it('reuses the account key', async () => {
    const keyBefore = readFileSync(join(dir, 'account', ACCOUNT_KEY_FILE), 'utf8');
    const other = await issuer().obtain(['api.shop.test']);
    expect(other.names).toEqual(['api.shop.test']);
    expect(readFileSync(join(dir, 'account', ACCOUNT_KEY_FILE), 'utf8')).toBe(keyBefore);
  });

  it('answers TLS-ALPN-01: Pebble does the acme-tls/1 handshake with our certificate', async () => {
    const before = alpnHandshakes.length;
    const cert = await issuer({ http01: undefined, tlsAlpn01: alpn, challenges: ['tls-alpn-01'] }).obtain([
      'alpn.test',
    ]);
    expect(new X509Certificate(cert.certificate).subjectAltName).toBe('DNS:alpn.test');
    expect(alpnHandshakes.slice(before)).toContain('alpn.test');
    expect(alpn.contextFor('alpn.test')).toBeUndefined(); // taken away after
  });

  it('renews at two thirds of the lifetime, with real timers', async () => {
    const renewed: StoredCertificate[] = [];
    const manager = createCertificateManager({
      dir: certs(),
      issuer: issuer(),
      onIssued: (c, reason) => {
        if (reason === 'due') renewed.push(c);
      },
    });
    const current = (await readCertificate(certs(), 'shop'))!;
    const dueAt =
      Date.parse(current.notBefore) +
      ((Date.parse(current.notAfter) - Date.parse(current.notBefore)) * 2) / 3;
    manager.watch([{ id: 'shop', names: ['shop.test', 'www.shop.test'] }]);
    const deadline = Date.now() + VALIDITY_S * 1000 + 10_000;
    while (renewed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    manager.stop();
    expect(renewed).toHaveLength(1);
    expect(Date.now()).toBeGreaterThanOrEqual(dueAt);
    expect(renewed[0]!.serial).not.toBe(current.serial);
    expect(Date.parse(renewed[0]!.notBefore)).toBeGreaterThan(Date.parse(current.notBefore));
    expect((await readCertificate(certs(), 'shop'))!.serial).toBe(renewed[0]!.serial);
  });

  it('revokes and replaces', async () => {
    const manager = createCertificateManager({ dir: certs(), issuer: issuer() });
    const old = (await readCertificate(certs(), 'shop'))!;
    const replaced = await manager.revokeAndReplace('shop', 'keyCompromise');
    expect(replaced.serial).not.toBe(old.serial);
    expect(replaced.key).not.toBe(old.key);
    expect(replaced.revoked).toBe(false);
    expect(await certStatus(old.serial)).toBe('Revoked');
    expect(await certStatus(replaced.serial)).toBe('Valid');
  });

  it('a wrong challenge answer fails validation with the CA detail and leaves the old certificate', async () => {
    const before = readFileSync(join(certs(), 'shop.json'), 'utf8');
    // A responder that serves a key authorization that is not the one for this account and token: its last
    // character changed (a thumbprint's last character is one of 16, so "always A" was right one time in 16).
    const wrong = {
      set: (token: string, keyAuthorization: string) =>
        answers.set(token, `${keyAuthorization.slice(0, -1)}${keyAuthorization.endsWith('A') ? 'E' : 'A'}`),
      remove: (token: string) => answers.remove(token),
    };
    const failures: CertificateFailure[] = [];
    const manager = createCertificateManager({
      dir: certs(),
      issuer: issuer({ http01: wrong }),
      onFailure: (f) => failures.push(f),
    });
    const names = ['shop.test', 'www.shop.test', 'new.shop.test'];
    const err = (await manager.ensure('shop', names).catch((e: unknown) => e)) as AcmeError;
    expect(err).toBeInstanceOf(AcmeError);
    expect(err.kind).toBe('challenge');
    expect(err.problem?.type).toBe('urn:ietf:params:acme:error:unauthorized');
    expect(err.message).toMatch(
      /the http-01 challenge for [a-z.]*shop\.test failed: challenge not validated: .*key authorization/i,
    );
    expect(readFileSync(join(certs(), 'shop.json'), 'utf8')).toBe(before);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.current?.serial).toBe((JSON.parse(before) as StoredCertificate).serial);
    expect(failures[0]!.retryAtMs).toBeGreaterThan(Date.now());
    // Asked again at once: backing off, it does not go back to the CA.
    await expect(manager.ensure('shop', names)).rejects.toThrow(
      /the last attempt failed .* the next one is at/,
    );
    expect(failures).toHaveLength(1);
  });

  it('a name that does not resolve fails as a DNS error', async () => {
    await pebble.dnsControl('/set-servfail', { host: 'broken.test.' });
    const err = (await issuer()
      .obtain(['broken.test'])
      .catch((e: unknown) => e)) as AcmeError;
    expect(err).toBeInstanceOf(AcmeError);
    expect(err.kind).toBe('dns');
    expect(err.message).toMatch(/the http-01 challenge for broken\.test failed: DNS: /);
  });

  it('a CA that is not trusted, or not there, is reported as unreachable', async () => {
    // Pebble again, without its CA bundle: its certificate is signed by a CA the system does not trust.
    const untrusted = createAcmeIssuer({
      ca: { directory: pebble.directoryUrl },
      accountDir: join(dir, 'account'),
      http01: answers,
    });
    const err = (await untrusted.obtain(['x.test']).catch((e: unknown) => e)) as AcmeError;
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(
      /registering the ACME account at https:\/\/127\.0\.0\.1:\d+\/dir failed: CA not reachable: .*(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED)/,
    );
    const gone = createAcmeIssuer({
      ca: { directory: `https://127.0.0.1:${await freePort()}/dir` },
      accountDir: join(dir, 'account'),
    });
    const refused = (await gone.obtain(['x.test']).catch((e: unknown) => e)) as AcmeError;
    expect(refused.kind).toBe('unreachable');
    expect(refused.message).toMatch(/ECONNREFUSED/);
  });
});
