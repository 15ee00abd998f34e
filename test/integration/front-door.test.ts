import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../src/router/test-certificates.js';
import { createFrontDoorApp, getByName, type FrontDoorApp } from '../helpers/front-door-project.js';
import { startLoad } from '../helpers/load-loop.js';
import { expectOk, freePort, renderAppSection } from '../helpers/project.js';

// Real CLI processes, one real agent and router process (a state directory shared by two projects, as two apps
// deployed to one host share its agent), real targets (examples/hello), real HTTP and HTTPS through one front door.

const STRATEGY = `    strategy:
      kind: blue-green
      keepWarm: 5m
      drainTimeout: 5s
`;

describe('two apps and two environments of one app behind one front door', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'sw-st-'));
  let pki: TestPki;
  let shop: FrontDoorApp;
  let blog: FrontDoorApp;
  let http: number;
  let https: number;
  const ports: Record<string, number> = {};

  const door = () => `    frontDoor: { httpPort: ${http}, httpsPort: ${https}, bindAddress: 127.0.0.1 }\n`;
  const shopConfig = (stagingDomain = 'staging.shop.test', stagingStrategy = STRATEGY) =>
    `${renderAppSection().replace('app: hello', 'app: shop')}environments:
  production:
    publicPort: ${ports.shopProduction}
    bindAddress: 127.0.0.1
    domains: [shop.test, www.shop.test]
${door()}    tls:
      certificates:
        - { cert: ${pki.dir}/shop.pem, key: ${pki.dir}/shop.key }
${STRATEGY}  staging:
    publicPort: ${ports.shopStaging}
    bindAddress: 127.0.0.1
    domains: [${stagingDomain}]
${door()}    tls:
      certificates:
        - { cert: ${pki.dir}/wild.pem, key: ${pki.dir}/wild.key }
${stagingStrategy}`;
  const blogConfig = () =>
    `${renderAppSection().replace('app: hello', 'app: blog')}environments:
  production:
    publicPort: ${ports.blog}
    bindAddress: 127.0.0.1
    domains: [blog.test]
${door()}${STRATEGY}`;

  beforeAll(async () => {
    pki = createTestPki();
    pki.issue('shop', ['shop.test', 'www.shop.test']);
    pki.issue('wild', ['*.shop.test']);
    http = await freePort();
    https = await freePort();
    ports.shopProduction = await freePort();
    ports.shopStaging = await freePort();
    ports.blog = await freePort();
    shop = createFrontDoorApp(stateDir);
    blog = createFrontDoorApp(stateDir);
    shop.write(shopConfig());
    blog.write(blogConfig());
    for (const version of ['1.0.0', '2.0.0']) {
      expectOk(await shop.cli(['release', 'create', '--version', version]));
    }
    for (const version of ['1.0.0', '2.0.0']) {
      expectOk(await blog.cli(['release', 'create', '--version', version]));
    }
  }, 120_000);

  afterAll(async () => {
    await shop?.cli(['agent', 'stop', '--stop-targets']);
    for (const dir of [shop?.dir, blog?.dir, stateDir])
      if (dir) rmSync(dir, { recursive: true, force: true });
    pki?.remove();
  });

  const get = (scheme: 'http' | 'https', host: string, sni = host) =>
    getByName({ scheme, port: scheme === 'http' ? http : https, ca: pki.ca }, host, { sni });

  it('deploys all three and serves each by name over HTTP and HTTPS; an unknown name gets 404', async () => {
    expect(expectOk(await shop.cli(['deploy', 'production', '--release', '1.0.0'])).stdout).toContain(
      '1.0.0 is live in production',
    );
    expectOk(await shop.cli(['deploy', 'staging', '--release', '2.0.0']));
    expectOk(await blog.cli(['deploy', 'production', '--release', '1.0.0']));

    const production = await get('https', 'shop.test');
    expect(production.status).toBe(200);
    expect(production.body).toContain('hello 1.0.0');
    expect((await get('https', 'www.shop.test')).body).toContain('hello 1.0.0');
    const staging = await get('https', 'staging.shop.test');
    expect(staging.status).toBe(200);
    expect(staging.body).toContain('hello 2.0.0');
    const blogPage = await get('http', 'blog.test');
    expect(blogPage.status).toBe(200);
    expect(blogPage.body).toContain('hello 1.0.0');
    // A name a certificate covers is sent to HTTPS from the plain port (308).
    const plain = await get('http', 'shop.test');
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`https://shop.test:${https}/`);

    const unknown = await get('http', 'unknown.test');
    expect(unknown.status).toBe(404);
    expect(unknown.body).not.toContain('hello');
    // An SNI no certificate covers gets no certificate at all: the handshake fails.
    await expect(get('https', 'unknown.test')).rejects.toThrow();
    // Each environment's own port still serves it.
    expect(await (await fetch(`http://127.0.0.1:${ports.shopStaging}/`)).text()).toContain('hello 2.0.0');
  }, 120_000);

  it('deploys shop production blue/green while every route serves under load: 0 failed requests', async () => {
    const tls = { ca: pki.ca };
    const loads = {
      production: startLoad(`https://127.0.0.1:${https}`, {
        concurrency: 3,
        maxMs: 40_000,
        headers: { host: 'shop.test' },
        connect: { ...tls, servername: 'shop.test' },
      }),
      staging: startLoad(`https://127.0.0.1:${https}`, {
        concurrency: 2,
        maxMs: 40_000,
        headers: { host: 'staging.shop.test' },
        connect: { ...tls, servername: 'staging.shop.test' },
      }),
      blog: startLoad(`http://127.0.0.1:${http}`, {
        concurrency: 2,
        maxMs: 40_000,
        headers: { host: 'blog.test' },
      }),
      productionPort: startLoad(`http://127.0.0.1:${ports.shopProduction}`, {
        concurrency: 1,
        maxMs: 40_000,
      }),
    };
    await Promise.all(Object.values(loads).map((l) => l.warm()));
    const deploy = expectOk(await shop.cli(['deploy', 'production', '--release', '2.0.0']));
    await new Promise((r) => setTimeout(r, 300));
    const reports = Object.fromEntries(
      await Promise.all(Object.entries(loads).map(async ([k, l]) => [k, await l.stop()] as const)),
    );

    expect(deploy.stdout).toContain('2.0.0 is live in production');
    for (const [name, report] of Object.entries(reports)) {
      expect({ name, failures: report.failures, failed: report.failed }).toEqual({
        name,
        failures: [],
        failed: 0,
      });
      expect(report.total).toBeGreaterThan(20);
    }
    expect(Object.keys(reports.production!.byRelease).sort()).toEqual(['1.0.0', '2.0.0']);
    expect(Object.keys(reports.staging!.byRelease)).toEqual(['2.0.0']);
    expect(Object.keys(reports.blog!.byRelease)).toEqual(['1.0.0']);
    expect((await get('https', 'shop.test')).body).toContain('hello 2.0.0');

    // status shows each environment's own route and targets, not its sibling's.
    for (const [environment, live] of [
      ['production', '2.0.0'],
      ['staging', '2.0.0'],
    ] as const) {
      const status = JSON.parse(expectOk(await shop.cli(['status', environment, '--json'])).stdout) as Array<{
        hosts: Array<{
          route: { app: string; active: string };
          targets: Array<{ id: string; release: string }>;
        }>;
      }>;
      const host = status[0]!.hosts[0]!;
      expect(host.route.app).toBe(`shop@${environment}`);
      expect(host.targets.every((t) => t.id.startsWith(`shop_${environment}-`))).toBe(true);
      expect(host.targets.find((t) => t.id === host.route.active)?.release).toBe(live);
    }
  }, 120_000);

  it('deploys shop staging as a canary while every route serves under load: 0 failed requests', async () => {
    shop.write(
      shopConfig(
        'staging.shop.test',
        `    strategy:
      kind: canary
      steps:
        - setWeight: 50
        - analysis: { timeout: 60s }
      analysis:
        interval: 300ms
        minRequests: 40
        tripwire: false
`,
      ),
    );
    const tls = { ca: pki.ca };
    const loads = {
      staging: startLoad(`https://127.0.0.1:${https}`, {
        concurrency: 3,
        maxMs: 60_000,
        headers: { host: 'staging.shop.test' },
        connect: { ...tls, servername: 'staging.shop.test' },
      }),
      production: startLoad(`https://127.0.0.1:${https}`, {
        concurrency: 2,
        maxMs: 60_000,
        headers: { host: 'shop.test' },
        connect: { ...tls, servername: 'shop.test' },
      }),
      blog: startLoad(`http://127.0.0.1:${http}`, {
        concurrency: 1,
        maxMs: 60_000,
        headers: { host: 'blog.test' },
      }),
    };
    await Promise.all(Object.values(loads).map((l) => l.warm()));
    const deploy = expectOk(await shop.cli(['deploy', 'staging', '--release', '1.0.0']));
    const reports = Object.fromEntries(
      await Promise.all(Object.entries(loads).map(async ([k, l]) => [k, await l.stop()] as const)),
    );
    expect(deploy.stdout).toMatch(/canary weight 50%[\s\S]*analysis verdict[\s\S]*switch traffic to 1\.0\.0/);
    for (const [name, report] of Object.entries(reports)) {
      expect({ name, failures: report.failures, failed: report.failed }).toEqual({
        name,
        failures: [],
        failed: 0,
      });
    }
    expect(Object.keys(reports.staging!.byRelease).sort()).toEqual(['1.0.0', '2.0.0']);
    expect(Object.keys(reports.production!.byRelease)).toEqual(['2.0.0']);
    expect((await get('https', 'staging.shop.test')).body).toContain('hello 1.0.0');
    expect((await get('https', 'shop.test')).body).toContain('hello 2.0.0');
    shop.write(shopConfig());
  }, 120_000);

  it('refuses a domain no certificate covers before anything changes', async () => {
    shop.write(shopConfig('staging.other.test'));
    const refused = await shop.cli(['deploy', 'staging', '--release', '2.0.0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('staging.other.test is covered by none of the certificates');
    // Nothing moved: staging still serves 1.0.0 by its name.
    expect((await get('https', 'staging.shop.test')).body).toContain('hello 1.0.0');
    shop.write(shopConfig());
  }, 60_000);

  it('refuses a name another app holds on the front door, naming it', async () => {
    blog.write(blogConfig().replace('domains: [blog.test]', 'domains: [blog.test, www.shop.test]'));
    const refused = await blog.cli(['deploy', 'production', '--release', '2.0.0']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('shop@production');
    expect((await get('https', 'www.shop.test')).body).toContain('hello 2.0.0');
    expect((await get('http', 'blog.test')).body).toContain('hello 1.0.0');
    blog.write(blogConfig());
  }, 60_000);

  it('takes an environment that drops its domains off the front door, and puts it back when it lists them again', async () => {
    blog.write(blogConfig().replace('    domains: [blog.test]\n', '').replace(door(), ''));
    expectOk(await blog.cli(['deploy', 'production', '--release', '2.0.0']));
    expect((await get('http', 'blog.test')).status).toBe(404);
    expect(await (await fetch(`http://127.0.0.1:${ports.blog}/`)).text()).toContain('hello 2.0.0');
    expect((await get('https', 'shop.test')).body).toContain('hello 2.0.0');
    const status = JSON.parse(expectOk(await blog.cli(['status', 'production', '--json'])).stdout) as Array<{
      hosts: Array<{ route: { app: string }; targets: Array<{ release: string; stopAtMs: number | null }> }>;
    }>;
    const host = status[0]!.hosts[0]!;
    expect(host.route.app).toBe('blog');
    // The release it served under its old key is kept warm (retired), not left running unseen.
    expect(host.targets.find((t) => t.release === '1.0.0')?.stopAtMs).toBeGreaterThan(Date.now());

    blog.write(blogConfig());
    expectOk(await blog.cli(['deploy', 'production', '--release', '1.0.0']));
    expect((await get('http', 'blog.test')).body).toContain('hello 1.0.0');
    expect(await (await fetch(`http://127.0.0.1:${ports.blog}/`)).text()).toContain('hello 1.0.0');
  }, 120_000);
});
