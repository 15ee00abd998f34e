/**
 * The router's TLS listener with real certificates (made by openssl) and real clients: undici trusting the test
 * CA, `openssl s_client -servername`, node:tls. The request rules and framing suites run over TLS too
 * (router-request-rules.test.ts, framing-differential.test.ts); this file is about what TLS adds.
 */
import { createServer as createTlsServer } from 'node:tls';
import { rename, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Router, type RouterListenOptions } from './router.js';
import { startBackend, useCleanup, type Backend } from './test-backends.js';
import { createTestPki, type TestLeaf, type TestPki } from './test-certificates.js';
import { probeTls, sClient } from './test-tls-clients.js';
import { CertificateStore, type CertificateLoadError } from './tls/certificate-store.js';
import { connectRaw, statusLines } from './test-raw-client.js';

const cleanup = useCleanup();
let pki: TestPki;
let shop: TestLeaf;
let blog: TestLeaf;
let wildcard: TestLeaf;

beforeAll(() => {
  pki = createTestPki();
  shop = pki.issue('shop', ['shop.test', 'www.shop.test']);
  blog = pki.issue('blog', ['blog.test']);
  wildcard = pki.issue('wildcard', ['*.apps.test']);
});
afterAll(() => pki.remove());

async function echoApp(): Promise<Backend> {
  const backend = await startBackend((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/own-hsts') res.setHeader('strict-transport-security', 'max-age=5');
    res.end(JSON.stringify({ url: req.url, proto: req.headers['x-forwarded-proto'] ?? null }));
  });
  cleanup(backend.close);
  return backend;
}

async function storeOf(
  leaves: Record<string, TestLeaf>,
  extra: { defaultCertificate?: string; onError?: (err: CertificateLoadError) => void } = {},
) {
  const store = await CertificateStore.load({
    certificates: Object.entries(leaves).map(([id, leaf]) => ({
      id,
      certFile: leaf.certFile,
      keyFile: leaf.keyFile,
    })),
    debounceMs: 30,
    ...extra,
  });
  cleanup(() => store.close());
  return store;
}

async function tlsRouter(
  store: CertificateStore,
  appPort: number,
  opts: Partial<RouterListenOptions> & { fastPath?: boolean } = {},
): Promise<Router> {
  const previous = process.env.SLIPWAY_ROUTER_FAST_PATH;
  if (opts.fastPath === false) process.env.SLIPWAY_ROUTER_FAST_PATH = '0';
  else delete process.env.SLIPWAY_ROUTER_FAST_PATH;
  try {
    const router = await Router.listen({ port: 0, host: '127.0.0.1', tls: { port: 0, store }, ...opts });
    cleanup(() => router.close());
    router.addTarget({ id: 'app', release: 'v1', port: appPort });
    router.setActive('app');
    return router;
  } finally {
    if (previous === undefined) delete process.env.SLIPWAY_ROUTER_FAST_PATH;
    else process.env.SLIPWAY_ROUTER_FAST_PATH = previous;
  }
}

function httpsAgent(servername: string, extra: Record<string, unknown> = {}): Agent {
  const agent = new Agent({ connect: { ca: pki.ca, servername, ...extra }, keepAliveTimeout: 10_000 });
  cleanup(() => agent.close());
  return agent;
}

describe.each([
  ['fast path', true],
  ['classic path', false],
])('Router over TLS, %s', (_name, fastPath) => {
  it('serves HTTPS to a client that trusts the CA: TLS 1.3, ALPN http/1.1, X-Forwarded-Proto https', async () => {
    const app = await echoApp();
    const router = await tlsRouter(await storeOf({ shop }), app.port, { fastPath });
    const agent = httpsAgent('shop.test');
    for (const path of ['/a?x=1', '/b']) {
      const res = await request(`https://127.0.0.1:${router.tlsPort}${path}`, {
        dispatcher: agent,
        headers: { host: 'shop.test', 'x-forwarded-proto': 'http' },
      });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ url: path, proto: 'https' });
      expect(res.headers['strict-transport-security']).toBeUndefined(); // HSTS is opt-in
    }
    const handshake = await probeTls(router.tlsPort!, { servername: 'shop.test', ca: pki.ca });
    expect(handshake).toMatchObject({ ok: true, protocol: 'TLSv1.3', alpn: 'http/1.1' });
  });

  it('adds HSTS to HTTPS answers when on (the app’s own wins), never on the plain port', async () => {
    const app = await echoApp();
    const router = await tlsRouter(await storeOf({ shop }), app.port, {
      fastPath,
      tls: { port: 0, store: await storeOf({ shop }), hsts: { maxAgeS: 600, includeSubDomains: true } },
      httpsRedirect: false,
    });
    const agent = httpsAgent('shop.test');
    const get = async (path: string) => {
      const res = await request(`https://127.0.0.1:${router.tlsPort}${path}`, { dispatcher: agent });
      await res.body.dump();
      return res.headers['strict-transport-security'];
    };
    expect(await get('/')).toBe('max-age=600; includeSubDomains');
    expect(await get('/own-hsts')).toBe('max-age=5');
    const plain = await request(`http://127.0.0.1:${router.port}/`, { headers: { host: 'shop.test' } });
    await plain.body.dump();
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    // The router's own answers over TLS carry it too (here a 502: the target is gone).
    await app.close();
    const res = await request(`https://127.0.0.1:${router.tlsPort}/`, { dispatcher: agent });
    await res.body.dump();
    expect(res.statusCode).toBe(502);
    expect(res.headers['strict-transport-security']).toBe('max-age=600; includeSubDomains');
  });

  it('redirects the plain port to HTTPS for names a certificate covers (308, path and query kept)', async () => {
    const app = await echoApp();
    const router = await tlsRouter(await storeOf({ shop, wildcard }), app.port, { fastPath });
    const raw = await connectRaw(router.port);
    raw.socket.write(
      'GET /cart?id=7 HTTP/1.1\r\nHost: shop.test\r\n\r\n' +
        'GET /x HTTP/1.1\r\nHost: a.apps.test:80\r\n\r\n' +
        'GET /served HTTP/1.1\r\nHost: other.test\r\n\r\n',
    );
    const text = await raw.waitFor((t) => statusLines(t).length === 3 && t.endsWith('}'));
    expect(statusLines(text)).toEqual([308, 308, 200]);
    const locations = [...text.matchAll(/^location: (.*)\r$/gim)].map((m) => m[1]);
    expect(locations).toEqual([
      `https://shop.test:${router.tlsPort}/cart?id=7`,
      `https://a.apps.test:${router.tlsPort}/x`,
    ]);
    expect(text).toContain('"url":"/served","proto":"http"');
    // A chunked POST goes to Node's server on the fast path: redirected there the same way, method kept by 308.
    const post = await request(`http://127.0.0.1:${router.port}/form`, {
      method: 'POST',
      headers: { host: 'shop.test' },
      body: Readable.from(['a=1']), // no length: sent chunked
    });
    await post.body.dump();
    expect(post.statusCode).toBe(308);
    expect(post.headers.location).toBe(`https://shop.test:${router.tlsPort}/form`);
  });

  it('serves the plain port as before when the redirect is off, and redirects every name with when: all', async () => {
    const app = await echoApp();
    const store = await storeOf({ shop });
    const off = await tlsRouter(store, app.port, { fastPath, httpsRedirect: false });
    const served = await request(`http://127.0.0.1:${off.port}/p`, { headers: { host: 'shop.test' } });
    expect(served.statusCode).toBe(200);
    expect(await served.body.json()).toEqual({ url: '/p', proto: 'http' });
    const all = await tlsRouter(store, app.port, {
      fastPath,
      httpsRedirect: { when: 'all', status: 301, httpsPort: 443 },
    });
    const moved = await request(`http://127.0.0.1:${all.port}/p?q`, { headers: { host: 'elsewhere.test' } });
    await moved.body.dump();
    expect([moved.statusCode, moved.headers.location]).toEqual([301, 'https://elsewhere.test/p?q']);
  });
});

describe('Router TLS certificates by SNI', () => {
  it('answers each name with its own certificate, a wildcard for its subdomains, and nothing for an unknown name', async () => {
    const app = await echoApp();
    const router = await tlsRouter(await storeOf({ shop, blog, wildcard }), app.port);
    const port = router.tlsPort!;
    const ca = ['-CAfile', pki.caFile, '-verify_return_error'];
    const [s, w, b, x, unknown, bare, none] = await Promise.all([
      sClient(port, 'shop.test', ca),
      sClient(port, 'www.shop.test', ca),
      sClient(port, 'blog.test', ca),
      sClient(port, 'x.apps.test', ca),
      sClient(port, 'unknown.test'),
      sClient(port, 'apps.test'),
      sClient(port, null),
    ]);
    expect([s.subject, w.subject, b.subject, x.subject]).toEqual([
      'shop.test',
      'shop.test',
      'blog.test',
      '*.apps.test',
    ]);
    expect([s.code, w.code, b.code, x.code]).toEqual([0, 0, 0, 0]);
    // No certificate covers these and none is the default: the handshake fails, no other name's certificate.
    for (const failed of [unknown, bare, none]) {
      expect(failed.subject).toBeNull();
      expect(failed.code).not.toBe(0);
      expect(failed.output).not.toMatch(/CN\s*=\s*(shop|blog|\*\.apps)\.test/);
    }
    const probe = await probeTls(port, { servername: 'unknown.test' });
    expect(probe).toMatchObject({ ok: false, fingerprint256: null });
  });

  it('gives the default certificate, when one is configured, to unknown names and clients without SNI', async () => {
    const app = await echoApp();
    const router = await tlsRouter(await storeOf({ shop, blog }, { defaultCertificate: 'blog' }), app.port);
    const port = router.tlsPort!;
    const [unknown, none, own] = await Promise.all([
      sClient(port, 'unknown.test'),
      sClient(port, null),
      sClient(port, 'shop.test'),
    ]);
    expect([unknown.subject, none.subject, own.subject]).toEqual(['blog.test', 'blog.test', 'shop.test']);
  });

  it('refuses TLS 1.1 and TLS 1.2 without ECDHE+AEAD, which a permissive server would accept', async () => {
    const app = await echoApp();
    const router = await tlsRouter(await storeOf({ shop }), app.port);
    const legacy = ['-cipher', 'DEFAULT:@SECLEVEL=0'];
    const cbc = ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA256:@SECLEVEL=0'];
    const rsaKx = ['-tls1_2', '-cipher', 'AES128-GCM-SHA256:@SECLEVEL=0'];
    // The control: the same client against a node:tls server that allows them.
    const permissive = createTlsServer({
      cert: shop.cert,
      key: shop.key,
      minVersion: 'TLSv1',
      ciphers: 'ALL:@SECLEVEL=0',
    });
    permissive.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => permissive.listen(0, '127.0.0.1', resolve));
    cleanup(() => new Promise<void>((resolve) => permissive.close(() => resolve())));
    const controlPort = (permissive.address() as AddressInfo).port;
    const control = await sClient(controlPort, 'shop.test', ['-tls1_1', ...legacy]);
    expect(control.protocol).toBe('TLSv1.1');
    expect((await sClient(controlPort, 'shop.test', cbc)).protocol).toBe('TLSv1.2');

    const port = router.tlsPort!;
    const [tls11, cbc12, rsa12, good12] = await Promise.all([
      sClient(port, 'shop.test', ['-tls1_1', ...legacy]),
      sClient(port, 'shop.test', cbc),
      sClient(port, 'shop.test', rsaKx),
      sClient(port, 'shop.test', ['-tls1_2']),
    ]);
    expect([tls11.protocol, cbc12.protocol, rsa12.protocol]).toEqual([null, null, null]);
    expect([tls11.code, cbc12.code, rsa12.code].every((c) => c !== 0)).toBe(true);
    expect(good12.protocol).toBe('TLSv1.2');
    expect(good12.output).toMatch(/Cipher\s*:\s*ECDHE-ECDSA-AES128-GCM-SHA256/);
  });

  it('logs nothing about clients, failed handshakes included, and asks no client certificate', async () => {
    const app = await echoApp();
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    try {
      const router = await tlsRouter(await storeOf({ shop }), app.port);
      const port = router.tlsPort!;
      // A client that would present a certificate if asked: it is not asked, so it sends none.
      const withCert = await sClient(port, 'shop.test', ['-cert', blog.certFile, '-key', blog.keyFile]);
      expect(withCert.output).not.toMatch(/Acceptable client certificate CA names|Requested Signature/);
      await sClient(port, 'unknown.test');
      await sClient(port, 'shop.test', ['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0']);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe('Router TLS certificate reload', () => {
  /** Replaces a certificate's files the way a renewal does: new files written beside them, then renamed over. */
  async function replaceFiles(target: TestLeaf, by: { cert: string; key: string }): Promise<void> {
    await writeFile(`${target.keyFile}.new`, by.key);
    await writeFile(`${target.certFile}.new`, by.cert);
    await rename(`${target.keyFile}.new`, target.keyFile);
    await rename(`${target.certFile}.new`, target.certFile);
  }

  async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('swaps certificates under keep-alive load with 0 failed requests; open connections keep theirs', async () => {
    const app = await echoApp();
    const live = pki.issue('live', ['shop.test']);
    const renewals = [1, 2, 3].map((n) => pki.issue(`renewal-${n}`, ['shop.test']));
    const errors: CertificateLoadError[] = [];
    const store = await storeOf({ live }, { onError: (err) => errors.push(err) });
    const router = await tlsRouter(store, app.port);
    const port = router.tlsPort!;
    const url = `https://127.0.0.1:${port}/`;
    const fingerprint = async () =>
      (await probeTls(port, { servername: 'shop.test', ca: pki.ca })).fingerprint256;
    const first = await fingerprint();

    // A connection opened before the swaps, used again after them.
    const early = await connectRaw(port, { tls: { ca: pki.ca, servername: 'shop.test' } });
    cleanup(() => void early.socket.destroy());
    const earlyFingerprint = (early.socket as import('node:tls').TLSSocket).getPeerCertificate()
      .fingerprint256;

    const keepAlive = httpsAgent('shop.test');
    let stop = false;
    const outcomes = { ok: 0, failed: 0, newConnections: 0, failures: [] as string[] };
    const worker = async (fresh: boolean): Promise<void> => {
      while (!stop) {
        try {
          // `reset`: connection: close, so each request of this worker is a new handshake.
          const res = await request(url, { dispatcher: keepAlive, reset: fresh });
          await res.body.dump();
          if (res.statusCode === 200) outcomes.ok++;
          else {
            outcomes.failed++;
            outcomes.failures.push(String(res.statusCode));
          }
          if (fresh) outcomes.newConnections++;
        } catch (err) {
          outcomes.failed++;
          outcomes.failures.push((err as Error).message);
        }
      }
    };
    const workers = [...Array.from({ length: 6 }, () => worker(false)), worker(true), worker(true)];
    const seen = [first];
    try {
      for (const renewal of renewals) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await replaceFiles(live, renewal);
        await until(async () => (await fingerprint()) !== seen[seen.length - 1]);
        seen.push(await fingerprint());
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      stop = true; // the load is bounded: it ends with the swaps, also when one of them fails
      await Promise.all(workers);
    }

    expect(outcomes.failures).toEqual([]);
    expect(outcomes.failed).toBe(0);
    expect(outcomes.ok).toBeGreaterThan(200);
    expect(outcomes.newConnections).toBeGreaterThan(20);
    expect(new Set(seen).size).toBe(4); // every renewal reached new handshakes
    expect(errors).toEqual([]);
    expect(store.certificates()[0]!.fingerprint256).toBe(seen[3]);

    // The early connection still works, on the certificate it was opened with.
    early.socket.write('GET /after HTTP/1.1\r\nHost: shop.test\r\n\r\n');
    await early.waitFor((t) => t.includes('"url":"/after"'));
    expect(earlyFingerprint).toBe(first);
  });

  it('keeps serving the old certificate when the new files are broken, reports it once, then takes a fixed one', async () => {
    const app = await echoApp();
    const live = pki.issue('broken-live', ['shop.test']);
    const other = pki.issue('other-key', ['shop.test']);
    const fixed = pki.issue('fixed', ['shop.test']);
    const errors: CertificateLoadError[] = [];
    const store = await storeOf({ live }, { onError: (err) => errors.push(err) });
    const router = await tlsRouter(store, app.port);
    const port = router.tlsPort!;
    const fingerprint = async () =>
      (await probeTls(port, { servername: 'shop.test', ca: pki.ca })).fingerprint256;
    const before = await fingerprint();

    // Not PEM at all.
    await writeFile(`${live.certFile}.new`, 'this is not a certificate\n');
    await rename(`${live.certFile}.new`, live.certFile);
    await until(() => Promise.resolve(errors.length === 1));
    expect(errors[0]!.message).toContain(live.certFile);
    expect(errors[0]!.message).toMatch(/previous one keeps serving/);
    expect(await fingerprint()).toBe(before);

    // A certificate whose key is not the one beside it.
    await writeFile(`${live.certFile}.new`, other.cert);
    await rename(`${live.certFile}.new`, live.certFile);
    await until(() => Promise.resolve(errors.length === 2));
    expect(errors[1]!.message).toMatch(/private key does not belong|key values mismatch/);
    expect(errors.map((e) => e.message).join('\n')).not.toContain('PRIVATE KEY');
    expect(await fingerprint()).toBe(before);
    await store.recheck(); // the same broken files again: reported once only
    expect(errors).toHaveLength(2);

    await replaceFiles(live, fixed);
    await until(async () => (await fingerprint()) !== before);
    expect(store.certificates()[0]!.fingerprint256).toBe(await fingerprint());
    expect(errors).toHaveLength(2);
  });

  it('picks up a file written in place (no rename) through the watch on its directory', async () => {
    const app = await echoApp();
    const live = pki.issue('in-place', ['shop.test']);
    const next = pki.issue('in-place-next', ['shop.test']);
    const reloads: string[] = [];
    const store = await CertificateStore.load({
      certificates: [{ id: 'live', certFile: live.certFile, keyFile: live.keyFile }],
      debounceMs: 30,
      recheckMs: 0, // only the watch can see it
      onReload: (info) => reloads.push(info.fingerprint256),
    });
    cleanup(() => store.close());
    const router = await tlsRouter(store, app.port);
    await writeFile(live.keyFile, next.key);
    await writeFile(live.certFile, next.cert);
    await until(() => Promise.resolve(reloads.length > 0));
    const probe = await probeTls(router.tlsPort!, { servername: 'shop.test', ca: pki.ca });
    expect(probe.fingerprint256).toBe(reloads[reloads.length - 1]);
    expect(join(pki.dir, 'in-place.pem')).toBe(live.certFile);
  });
});
