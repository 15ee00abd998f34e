import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSelfSignedCert, type SelfSignedCert } from '../../test/helpers/self-signed-cert.js';
import { checkRegistryManifest } from './registry-client.js';

// A registry that uses a token service (as Docker Hub, Harbor or GitLab do), over real HTTPS: the basic login
// buys a bearer token for the repository's scope, and the manifest is asked with it. Distribution with htpasswd
// (basic auth) is tested for real in test/integration/docker-registry.test.ts.

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('checkRegistryManifest with a token service', () => {
  let cert: SelfSignedCert;
  let server: Server;
  let address: string;
  const seen: string[] = [];

  beforeAll(async () => {
    cert = makeSelfSignedCert();
    server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
      const url = new URL(req.url ?? '/', `https://${address}`);
      seen.push(`${req.method} ${url.pathname}${url.search}`);
      if (url.pathname === '/token') {
        const ok = req.headers.authorization === `Basic ${Buffer.from('ci:right').toString('base64')}`;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(ok ? JSON.stringify({ token: 'tok-123' }) : '{}');
        return;
      }
      if (req.headers.authorization !== 'Bearer tok-123') {
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="https://${address}/token",service="test-registry",scope="repository:team/app:pull"`,
        });
        res.end();
        return;
      }
      res.writeHead(url.pathname === `/v2/team/app/manifests/${DIGEST}` ? 200 : 404);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    cert.dispose();
  });

  const ask = (reference: string, password: string, ca: string | undefined = cert.cert) =>
    checkRegistryManifest({
      server: address,
      repository: 'team/app',
      reference,
      credentials: { username: 'ci', password },
      ...(ca ? { ca } : {}),
      timeoutMs: 5000,
    });

  it('gets a token with the login and finds the manifest by digest, or not', async () => {
    await expect(ask(DIGEST, 'right')).resolves.toBe('present');
    expect(seen).toContain('GET /token?service=test-registry&scope=repository%3Ateam%2Fapp%3Apull');
    await expect(ask(`sha256:${'b'.repeat(64)}`, 'right')).resolves.toBe('missing');
  });

  it('refuses a wrong password naming the registry and the user, never the password', async () => {
    const err = await ask(DIGEST, 'wrong-pw-42').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`registry ${address} refused user ci`);
    expect((err as Error).message).not.toContain('wrong-pw-42');
  });

  it('does not trust a certificate its CA bundle does not cover', async () => {
    const other = makeSelfSignedCert();
    try {
      await expect(ask(DIGEST, 'right', other.cert)).rejects.toThrow(/TLS certificate is not trusted/);
    } finally {
      other.dispose();
    }
  });
});
