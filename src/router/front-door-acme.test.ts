/**
 * The front door answering an ACME CA's validations, against a real one: Pebble (src/certificates/test-pebble.ts)
 * validates by connecting to the door's plain and TLS ports on 127.0.0.1, by names its DNS resolves there. HTTP-01
 * and TLS-ALPN-01 are answered for names with no route, and for a routed name with a certificate (redirected,
 * and served by that certificate otherwise); fast path on and off.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcmeIssuer, type AcmeIssuerOptions } from '../certificates/acme-issuer.js';
import { Http01Answers, TlsAlpn01Answers } from '../certificates/challenges.js';
import { startPebble, type RunningPebble } from '../certificates/test-pebble.js';
import { FrontDoor } from './front-door.js';
import { Router } from './router.js';
import { freePort, startBackend, type Backend } from './test-backends.js';
import { createTestPki, type TestLeaf, type TestPki } from './test-certificates.js';
import { probeTls } from './test-tls-clients.js';
import { CertificateStore } from './tls/certificate-store.js';

const MODES = ['fast', 'classic'] as const;
let pebble: RunningPebble;
let httpPort: number;
let tlsPort: number;
let dir: string;
let pki: TestPki;
let store: CertificateStore;
/** The routed names' certificate (the store's), and another one standing in for a TLS-ALPN-01 answer. */
let routedLeaf: TestLeaf;
let challengeLeaf: TestLeaf;
let backend: Backend;
const client = new Agent();
const answers = new Http01Answers();
const alpn = new TlsAlpn01Answers();
/** Every HTTP-01 answer the door looked up, and whether it had one. */
const looked: { token: string; found: boolean }[] = [];
const http01 = {
  get: (token: string): string | undefined => {
    const answer = answers.get(token);
    looked.push({ token, found: answer !== undefined });
    return answer;
  },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sw-door-acme-'));
  [httpPort, tlsPort] = [await freePort(), await freePort()];
  pki = createTestPki();
  routedLeaf = pki.issue(
    'routed',
    MODES.flatMap((m) => [`shop-${m}.test`, `renew-${m}.test`]),
  );
  challengeLeaf = pki.issue(
    'challenge',
    MODES.map((m) => `renew-${m}.test`),
  );
  store = await CertificateStore.load({
    certificates: [{ id: 'routed', certFile: routedLeaf.certFile, keyFile: routedLeaf.keyFile }],
    watch: false,
  });
  backend = await startBackend((req, res) => res.end(`app ${req.url}`));
  pebble = await startPebble({ httpPort, tlsPort });
}, 60_000);

afterAll(async () => {
  await pebble?.stop();
  await backend?.close();
  await client.close();
  store?.close();
  pki?.remove();
  rmSync(dir, { recursive: true, force: true });
});

function obtain(
  names: string[],
  over: Partial<AcmeIssuerOptions>,
): Promise<{ names: string[]; certificate: string }> {
  return createAcmeIssuer({
    ca: { directory: pebble.directoryUrl, email: 'ops@shop.test', caBundle: pebble.caBundle },
    accountDir: join(dir, 'account'),
    poll: { attempts: 20, minMs: 100, maxMs: 1000 },
    ...over,
  }).obtain(names);
}

async function plainGet(host: string, path: string, method: 'GET' | 'HEAD' | 'POST' = 'GET') {
  const res = await request(`http://127.0.0.1:${httpPort}${path}`, {
    dispatcher: client,
    method,
    headers: { host },
  });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** A handshake offering `alpn`, at most `maxVersion`: what it got; `closedQuietly`: the server ended it without a byte. */
function handshake(servername: string, alpnOffered: string[], maxVersion: 'TLSv1.2' | 'TLSv1.3') {
  return new Promise<{ fingerprint: string | null; alpn: string | false | null; closedQuietly: boolean }>(
    (resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port: tlsPort,
        servername,
        ALPNProtocols: alpnOffered,
        maxVersion,
        rejectUnauthorized: false,
      });
      let fingerprint: string | null = null;
      let received = 0;
      socket.on('secureConnect', () => {
        fingerprint = socket.getPeerCertificate().fingerprint256 ?? null;
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.on('error', () => undefined);
      socket.setTimeout(2_000, () => socket.destroy());
      socket.on('close', () =>
        resolve({ fingerprint, alpn: socket.alpnProtocol ?? null, closedQuietly: received === 0 }),
      );
    },
  );
}

describe.each(MODES)('FrontDoor answering ACME validations, %s path', (mode) => {
  let door: FrontDoor;
  let router: Router;
  const shop = `shop-${mode}.test`;
  const renew = `renew-${mode}.test`;

  beforeAll(async () => {
    const previous = process.env.SLIPWAY_ROUTER_FAST_PATH;
    process.env.SLIPWAY_ROUTER_FAST_PATH = mode === 'fast' ? '1' : '0';
    try {
      door = await FrontDoor.listen({
        port: httpPort,
        host: '127.0.0.1',
        tls: { port: tlsPort, store },
        acme: { http01, tlsAlpn01: alpn },
      });
    } finally {
      if (previous === undefined) delete process.env.SLIPWAY_ROUTER_FAST_PATH;
      else process.env.SLIPWAY_ROUTER_FAST_PATH = previous;
    }
    router = Router.detached();
    router.addTarget({ id: 'app', release: 'v1', port: backend.port });
    router.setActive('app');
    door.attach({ id: 'shop', names: [shop, renew] }, router);
  });
  afterAll(async () => {
    await door?.close();
    await router?.close();
  });

  it('obtains a certificate by HTTP-01 for a name no route answers to', async () => {
    const before = looked.length;
    const cert = await obtain([`new-${mode}.test`], { http01: answers, challenges: ['http-01'] });
    expect(new X509Certificate(cert.certificate).subjectAltName).toBe(`DNS:new-${mode}.test`);
    expect(looked.slice(before).filter((l) => l.found).length).toBeGreaterThanOrEqual(1);
    expect((await plainGet(`new-${mode}.test`, '/')).status).toBe(404); // still no route
  });

  it('obtains a certificate by TLS-ALPN-01 for a name no route answers to', async () => {
    const cert = await obtain([`alpn-${mode}.test`], { tlsAlpn01: alpn, challenges: ['tls-alpn-01'] });
    expect(new X509Certificate(cert.certificate).subjectAltName).toBe(`DNS:alpn-${mode}.test`);
  });

  it('answers HTTP-01 for a routed, redirected name with a certificate (200, not 308)', async () => {
    expect((await plainGet(shop, '/cart')).status).toBe(308);
    const before = looked.length;
    const cert = await obtain([shop], { http01: answers, challenges: ['http-01'] });
    expect(new X509Certificate(cert.certificate).subjectAltName).toBe(`DNS:${shop}`);
    expect(looked.slice(before).filter((l) => l.found).length).toBeGreaterThanOrEqual(1);
  });

  it('answers TLS-ALPN-01 for a routed name its certificate already covers (a renewal)', async () => {
    const cert = await obtain([renew], { tlsAlpn01: alpn, challenges: ['tls-alpn-01'] });
    expect(new X509Certificate(cert.certificate).subjectAltName).toBe(`DNS:${renew}`);
  });

  it('HTTP-01 answers come first on the plain port only, read as the answers change', async () => {
    const path = '/.well-known/acme-challenge/tok_en-1';
    expect(await plainGet(shop, path)).toMatchObject({ status: 404, body: 'no such ACME challenge\n' });
    answers.set('tok_en-1', 'tok_en-1.thumbprint');
    const ok = await plainGet(shop, path);
    expect(ok).toMatchObject({ status: 200, body: 'tok_en-1.thumbprint' });
    expect(ok.headers['content-type']).toBe('application/octet-stream');
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(await plainGet(shop, `${path}?x=1`)).toMatchObject({ status: 200, body: 'tok_en-1.thumbprint' });
    expect(await plainGet('nobody.test', path)).toMatchObject({ status: 200, body: 'tok_en-1.thumbprint' });
    const head = await plainGet(shop, path, 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe(String('tok_en-1.thumbprint'.length));
    expect((await plainGet(shop, path, 'POST')).status).toBe(405);
    expect((await plainGet(shop, '/.well-known/acme-challenge/other')).status).toBe(404);
    // Over HTTPS the path is the app's, as any other.
    const tlsAgent = new Agent({ connect: { ca: pki.ca, servername: shop } });
    const res = await request(`https://127.0.0.1:${tlsPort}${path}`, {
      dispatcher: tlsAgent,
      headers: { host: shop },
    });
    expect(await res.body.text()).toBe(`app ${path}`);
    await tlsAgent.close();
    answers.remove('tok_en-1');
    expect((await plainGet(shop, path)).status).toBe(404);
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    'a ClientHello offering only acme-tls/1 gets the answer over %s; every other client the store certificate',
    async (maxVersion) => {
      const fingerprintOf = (leaf: TestLeaf) => new X509Certificate(leaf.cert).fingerprint256;
      alpn.set(renew, { certificate: challengeLeaf.cert, key: challengeLeaf.key });
      try {
        expect(await handshake(renew, ['acme-tls/1'], maxVersion)).toEqual({
          fingerprint: fingerprintOf(challengeLeaf),
          alpn: 'acme-tls/1',
          closedQuietly: true, // no HTTP on a validation's connection
        });
        for (const offered of [['http/1.1'], ['acme-tls/1', 'http/1.1'], ['http/1.1', 'acme-tls/1']]) {
          const other = await handshake(renew, offered, maxVersion);
          expect(other).toMatchObject({ fingerprint: fingerprintOf(routedLeaf), alpn: 'http/1.1' });
          expect(other.closedQuietly).toBe(false); // it was answered
        }
        const plain = await probeTls(tlsPort, { servername: renew, ca: pki.ca, maxVersion });
        expect(plain.fingerprint256).toBe(fingerprintOf(routedLeaf));
        // acme-tls/1 for a name without an answer: never the routed certificate with acme-tls/1
        expect((await handshake(shop, ['acme-tls/1'], maxVersion)).alpn).not.toBe('acme-tls/1');
      } finally {
        alpn.remove(renew);
      }
      expect((await handshake(renew, ['acme-tls/1'], maxVersion)).alpn).not.toBe('acme-tls/1');
    },
  );
});
