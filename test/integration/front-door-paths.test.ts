import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../src/router/test-certificates.js';
import { createFrontDoorApp, getByName, type FrontDoorApp } from '../helpers/front-door-project.js';
import { startLoad, type LoadReport } from '../helpers/load-loop.js';
import { expectOk, freePort, renderAppSection } from '../helpers/project.js';

// Real CLI processes, one real agent and router process shared by two projects (`--state-dir`), real targets
// (examples/hello, told apart by GREETING), real HTTPS through one front door. One site, shop.test, made of two
// apps: `web` answers for everything, `api` for /api and below. And web's staging, first on its own port only,
// then by name as well.

const STRATEGY = `    strategy:
      kind: blue-green
      keepWarm: 5m
      drainTimeout: 5s
`;

function expectNoFailures(reports: Record<string, LoadReport | { failed: number; failures: string[] }>) {
  for (const [name, report] of Object.entries(reports)) {
    expect({ name, failures: report.failures, failed: report.failed }).toEqual({
      name,
      failures: [],
      failed: 0,
    });
  }
}

describe('one name, two apps by path prefix, and an environment that gains domains', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'sw-fdps-'));
  let pki: TestPki;
  let web: FrontDoorApp;
  let api: FrontDoorApp;
  let http: number;
  let https: number;
  const ports = { web: 0, api: 0, staging: 0 };

  const door = () => `    frontDoor: { httpPort: ${http}, httpsPort: ${https}, bindAddress: 127.0.0.1 }\n`;
  const certificate = (file: string) => `    tls:
      certificates:
        - { cert: ${pki.dir}/${file}.pem, key: ${pki.dir}/${file}.key }
`;
  const webConfig = (stagingDomains: string[] | null) =>
    `${renderAppSection({ env: { GREETING: 'Web' } }).replace('app: hello', 'app: web')}environments:
  production:
    publicPort: ${ports.web}
    bindAddress: 127.0.0.1
    domains: [shop.test]
${door()}${certificate('web')}${STRATEGY}  staging:
    publicPort: ${ports.staging}
    bindAddress: 127.0.0.1
    env: { GREETING: Staging }
${stagingDomains ? `    domains: [${stagingDomains.join(', ')}]\n${door()}${certificate('staging')}` : ''}${STRATEGY}`;
  const apiConfig = () =>
    `${renderAppSection({ env: { GREETING: 'Api' } }).replace('app: hello', 'app: api')}environments:
  production:
    publicPort: ${ports.api}
    bindAddress: 127.0.0.1
    domains: [shop.test]
    pathPrefix: /api
${door()}${certificate('api')}${STRATEGY}`;

  beforeAll(async () => {
    pki = createTestPki();
    // Each app brings its own certificate for the name they share; either one is valid for it.
    pki.issue('web', ['shop.test']);
    pki.issue('api', ['shop.test']);
    pki.issue('staging', ['staging.shop.test', 'next.shop.test']);
    http = await freePort();
    https = await freePort();
    ports.web = await freePort();
    ports.api = await freePort();
    ports.staging = await freePort();
    web = createFrontDoorApp(stateDir, 'sw-fdp-');
    api = createFrontDoorApp(stateDir, 'sw-fdp-');
    web.write(webConfig(null));
    api.write(apiConfig());
    for (const version of ['1.0.0', '2.0.0']) {
      expectOk(await web.cli(['release', 'create', '--version', version]));
    }
    for (const version of ['1.0.0', '2.0.0']) {
      expectOk(await api.cli(['release', 'create', '--version', version]));
    }
  }, 120_000);

  afterAll(async () => {
    await web?.cli(['agent', 'stop', '--stop-targets']);
    for (const dir of [web?.dir, api?.dir, stateDir]) if (dir) rmSync(dir, { recursive: true, force: true });
    pki?.remove();
  });

  const get = (scheme: 'http' | 'https', host: string, path = '/') =>
    getByName({ scheme, port: scheme === 'http' ? http : https, ca: pki.ca }, host, { path });
  const onPort = async (port: number, path = '/') => (await fetch(`http://127.0.0.1:${port}${path}`)).text();
  const routeKeyOf = async (environment: string) => {
    const status = JSON.parse(expectOk(await web.cli(['status', environment, '--json'])).stdout) as Array<{
      hosts: Array<{
        route: { app: string; active: string };
        targets: Array<{ id: string; release: string }>;
      }>;
    }>;
    const host = status[0]!.hosts[0]!;
    return {
      key: host.route.app,
      active: host.targets.find((t) => t.id === host.route.active)?.release,
    };
  };

  it('sends /api and below to api, every other path of the same name to web', async () => {
    expectOk(await web.cli(['deploy', 'production', '--release', '1.0.0']));
    expectOk(await api.cli(['deploy', 'production', '--release', '1.0.0']));
    expectOk(await web.cli(['deploy', 'staging', '--release', '1.0.0']));

    const answers: Record<string, string> = {};
    for (const path of ['/', '/apix', '/x/api', '/ap', '/api', '/api/', '/api/x', '/api/x/y', '/api?q=1']) {
      const res = await get('https', 'shop.test', path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      answers[path] = res.body.split(' from ')[0]!;
    }
    expect(answers).toEqual({
      '/': 'Web',
      '/apix': 'Web',
      '/x/api': 'Web',
      '/ap': 'Web',
      '/api': 'Api',
      '/api/': 'Api',
      '/api/x': 'Api',
      '/api/x/y': 'Api',
      '/api?q=1': 'Api',
    });
    expect((await get('https', 'shop.test', '/api/x')).body).toContain('Api from hello 1.0.0');
    // The redirect to HTTPS keeps the path, so the answer comes from the same app.
    const plain = await get('http', 'shop.test', '/api/x?q=1');
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`https://shop.test:${https}/api/x?q=1`);
    // Each app's own port serves every path of it: the prefix is the front door's, not the app's.
    expect(await onPort(ports.api, '/')).toContain('Api from hello 1.0.0');
    expect(await onPort(ports.web, '/api/x')).toContain('Web from hello 1.0.0');

    // Staging has no domains yet: its port serves it, no name does.
    expect(await onPort(ports.staging)).toContain('Staging from hello 1.0.0');
    expect((await get('http', 'staging.shop.test')).status).toBe(404);
    await expect(get('https', 'staging.shop.test')).rejects.toThrow();
    expect(await routeKeyOf('staging')).toEqual({ key: 'web', active: '1.0.0' });
    expect(await routeKeyOf('production')).toEqual({ key: 'web@production', active: '1.0.0' });
  }, 120_000);

  it('deploys api blue/green while both prefixes of the name serve under load: 0 failed requests', async () => {
    const tls = { ca: pki.ca, servername: 'shop.test' };
    const loads = {
      api: startLoad(`https://127.0.0.1:${https}`, {
        paths: ['/api', '/api/x', '/api/x/y?q=1'],
        bodyMustContain: 'Api from hello',
        headers: { host: 'shop.test' },
        connect: tls,
        concurrency: 3,
        maxMs: 40_000,
      }),
      web: startLoad(`https://127.0.0.1:${https}`, {
        paths: ['/', '/apix', '/x/api'],
        bodyMustContain: 'Web from hello',
        headers: { host: 'shop.test' },
        connect: tls,
        concurrency: 2,
        maxMs: 40_000,
      }),
      apiPort: startLoad(`http://127.0.0.1:${ports.api}`, {
        paths: ['/api/x'],
        bodyMustContain: 'Api from hello',
        concurrency: 1,
        maxMs: 40_000,
      }),
    };
    await Promise.all(Object.values(loads).map((l) => l.warm()));
    const deploy = expectOk(await api.cli(['deploy', 'production', '--release', '2.0.0']));
    await new Promise((r) => setTimeout(r, 300));
    const reports = Object.fromEntries(
      await Promise.all(Object.entries(loads).map(async ([k, l]) => [k, await l.stop()] as const)),
    );

    expect(deploy.stdout).toContain('2.0.0 is live in production');
    expectNoFailures(reports);
    for (const report of Object.values(reports)) expect(report.total).toBeGreaterThan(20);
    // The api loops saw the switch; web, on the same name, only ever its own release.
    expect(Object.keys(reports.api!.byRelease).sort()).toEqual(['1.0.0', '2.0.0']);
    expect(Object.keys(reports.apiPort!.byRelease).sort()).toEqual(['1.0.0', '2.0.0']);
    expect(Object.keys(reports.web!.byRelease)).toEqual(['1.0.0']);
    expect((await get('https', 'shop.test', '/api/x')).body).toContain('Api from hello 2.0.0');
    expect((await get('https', 'shop.test', '/apix')).body).toContain('Web from hello 1.0.0');
  }, 120_000);

  it('serves an environment that gains domains by name, its port serving throughout: 0 failed requests', async () => {
    web.write(webConfig(['staging.shop.test']));
    // Until a deploy re-keys it, status finds staging's route under the key it had without domains.
    expect(await routeKeyOf('staging')).toEqual({ key: 'web', active: '1.0.0' });
    const loads = {
      stagingPort: startLoad(`http://127.0.0.1:${ports.staging}`, { concurrency: 2, maxMs: 60_000 }),
      production: startLoad(`https://127.0.0.1:${https}`, {
        paths: ['/', '/api/x'],
        bodyMustContain: ' from hello',
        headers: { host: 'shop.test' },
        connect: { ca: pki.ca, servername: 'shop.test' },
        concurrency: 1,
        maxMs: 60_000,
      }),
    };
    await Promise.all(Object.values(loads).map((l) => l.warm()));

    // Its route is re-keyed (web → web@staging) in place, put on the front door, and switched to 2.0.0.
    expectOk(await web.cli(['deploy', 'staging', '--release', '2.0.0']));
    const first = await get('https', 'staging.shop.test');
    expect(first.status).toBe(200);
    expect(first.body).toContain('Staging from hello 2.0.0');
    expect(await routeKeyOf('staging')).toEqual({ key: 'web@staging', active: '2.0.0' });
    // web production kept its own key, release and name.
    expect(await routeKeyOf('production')).toEqual({ key: 'web@production', active: '1.0.0' });

    // Then a blue/green deploy of the re-keyed route, with load by name too.
    const stagingByName = startLoad(`https://127.0.0.1:${https}`, {
      concurrency: 2,
      maxMs: 40_000,
      headers: { host: 'staging.shop.test' },
      connect: { ca: pki.ca, servername: 'staging.shop.test' },
    });
    await stagingByName.warm();
    expectOk(await web.cli(['deploy', 'staging', '--release', '1.0.0']));
    await new Promise((r) => setTimeout(r, 300));
    const [byName, onStagingPort, production] = await Promise.all([
      stagingByName.stop(),
      loads.stagingPort.stop(),
      loads.production.stop(),
    ]);
    const reports = { stagingByName: byName, stagingPort: onStagingPort, production };
    expectNoFailures(reports);
    for (const report of Object.values(reports)) expect(report.total).toBeGreaterThan(20);
    expect(Object.keys(reports.stagingPort.byRelease).sort()).toEqual(['1.0.0', '2.0.0']);
    expect(Object.keys(reports.stagingByName.byRelease).sort()).toEqual(['1.0.0', '2.0.0']);
    // web 1.0.0 on /, api 2.0.0 on /api/x: untouched by staging's deploys.
    expect(Object.keys(reports.production.byRelease).sort()).toEqual(['1.0.0', '2.0.0']);
    expect((await get('https', 'staging.shop.test')).body).toContain('Staging from hello 1.0.0');
    expect(await onPort(ports.staging)).toContain('Staging from hello 1.0.0');
    expect((await get('http', 'staging.shop.test')).status).toBe(308);
    expect((await get('https', 'shop.test', '/')).body).toContain('Web from hello 1.0.0');
    expect(await routeKeyOf('staging')).toEqual({ key: 'web@staging', active: '1.0.0' });
  }, 150_000);

  // A deploy of the release that serves already leaves the host's target alone (src/plan/already-serving.ts), but
  // still makes its route as configured: a route change alone (a domain added, domains dropped or gained) takes
  // effect with such a deploy.
  it('applies a change of the route alone with a deploy of the release already serving', async () => {
    web.write(webConfig(['staging.shop.test', 'next.shop.test']));
    expectOk(await web.cli(['deploy', 'staging', '--release', '1.0.0']));
    const byName = await get('https', 'next.shop.test');
    expect(byName.status).toBe(200);
    expect(byName.body).toContain('Staging from hello 1.0.0');
    // Dropping the domains with the same release takes the route off the front door (re-keyed `web`) …
    web.write(webConfig(null));
    expectOk(await web.cli(['deploy', 'staging', '--release', '1.0.0']));
    expect(await routeKeyOf('staging')).toEqual({ key: 'web', active: '1.0.0' });
    expect((await get('http', 'next.shop.test')).status).toBe(404);
    // … and gaining them again puts it back, by name.
    web.write(webConfig(['staging.shop.test']));
    expectOk(await web.cli(['deploy', 'staging', '--release', '1.0.0']));
    expect(await routeKeyOf('staging')).toEqual({ key: 'web@staging', active: '1.0.0' });
    expect((await get('https', 'staging.shop.test')).body).toContain('Staging from hello 1.0.0');
  }, 90_000);
});
