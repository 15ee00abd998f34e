import { describe, expect, it } from 'vitest';
import {
  findEnvironmentRoute,
  hasTargetPrefix,
  hstsSettingsOf,
  resolveConfigPath,
  routeOf,
  routesOf,
  routeSelectorOf,
  tlsModeOf,
  type RouteSelector,
} from './config-values-front-door.js';
import { configSchema } from './schema.js';

const config = configSchema.parse({
  app: 'shop',
  run: { command: 'node server.js' },
  environments: {
    production: {
      publicPort: 8080,
      hosts: [{ name: 'web1', address: '10.0.0.1' }, { name: 'web2', address: '10.0.0.2' }, 'local'],
      edge: { host: 'local', publicPort: 8000 },
      domains: ['shop.example.com', 'www.shop.example.com'],
      tls: { acme: { email: 'ops@example.com' }, hsts: { maxAge: '1d', includeSubDomains: true } },
    },
    api: {
      publicPort: 8081,
      hosts: [{ name: 'web1', address: '10.0.0.1' }],
      domains: ['shop.example.com'],
      pathPrefix: '/api',
      frontDoor: { httpPort: 8001, httpsPort: 8444 },
      tls: { certificates: [{ cert: 'c.pem', key: 'k.pem' }], redirect: false },
    },
    plain: { publicPort: 8082, domains: ['plain.test'] },
    legacy: { publicPort: 8083 },
  },
});
const envs = config.environments;

describe('routesOf', () => {
  it('gives each environment with domains its names, prefix, front door hosts and ports', () => {
    expect(routesOf(config)).toEqual([
      {
        app: 'shop',
        environment: 'production',
        names: ['shop.example.com', 'www.shop.example.com'],
        pathPrefix: '/',
        hosts: ['local'], // the edge's host, not the app hosts
        frontDoor: { httpPort: 80, httpsPort: 443, bindAddress: '0.0.0.0' },
      },
      {
        app: 'shop',
        environment: 'api',
        names: ['shop.example.com'],
        pathPrefix: '/api',
        hosts: ['web1'],
        frontDoor: { httpPort: 8001, httpsPort: 8444, bindAddress: '0.0.0.0' },
      },
      {
        app: 'shop',
        environment: 'plain',
        names: ['plain.test'],
        pathPrefix: '/',
        hosts: ['local'],
        frontDoor: { httpPort: 80, httpsPort: 443, bindAddress: '0.0.0.0' },
      },
    ]);
    expect(routeOf('shop', 'legacy', envs.legacy!)).toBeNull();
  });
});

describe('tlsModeOf', () => {
  it('tells none, files and acme apart, with redirect and HSTS in seconds', () => {
    expect(tlsModeOf(envs.production!)).toEqual({
      mode: 'acme',
      acme: { email: 'ops@example.com', directory: 'letsencrypt' },
      redirect: true,
      hsts: { maxAgeS: 86_400, includeSubDomains: true, preload: false },
    });
    expect(tlsModeOf(envs.api!)).toEqual({
      mode: 'files',
      certificates: [{ cert: 'c.pem', key: 'k.pem' }],
      redirect: false,
      hsts: null,
    });
    expect(tlsModeOf(envs.plain!)).toEqual({ mode: 'none' });
    expect(tlsModeOf(envs.legacy!)).toEqual({ mode: 'none' });
  });

  it('floors HSTS to whole seconds', () => {
    expect(hstsSettingsOf({ maxAge: '365d', includeSubDomains: false, preload: false }).maxAgeS).toBe(
      31_536_000,
    );
    expect(hstsSettingsOf({ maxAge: '0s', includeSubDomains: false, preload: false }).maxAgeS).toBe(0);
  });
});

describe('resolveConfigPath', () => {
  it.each([
    ['certs/shop.pem', '/proj/certs/shop.pem'],
    ['../shared/shop.pem', '/shared/shop.pem'],
    ['/etc/ssl/shop.pem', '/etc/ssl/shop.pem'],
    ['~/certs/shop.pem', '/home/me/certs/shop.pem'],
    ['~', '/home/me'],
  ])('%s → %s', (text, want) => {
    expect(resolveConfigPath(text, '/proj', '/home/me')).toBe(want);
  });
});

describe('findEnvironmentRoute', () => {
  const selector = (app: string, environment: string, env: { domains?: string[]; publicPort: number }) =>
    routeSelectorOf(app, environment, { hosts: ['local'], ...env });
  const routes = [
    { app: 'web', publicPort: 8080 },
    { app: 'web@staging', publicPort: 8081 },
    { app: 'api', publicPort: 8082 },
    { app: 'shop@staging', publicPort: 8083 },
  ];
  it.each<[string, RouteSelector, { app: string; keyChanged: boolean; prefixes: string[] } | null]>([
    [
      'its key',
      selector('web', 'staging', { domains: ['s.test'], publicPort: 8081 }),
      { app: 'web@staging', keyChanged: false, prefixes: ['web_staging'] },
    ],
    [
      'its key without domains',
      selector('api', 'production', { publicPort: 8082 }),
      { app: 'api', keyChanged: false, prefixes: ['api'] },
    ],
    [
      'the key it had before it gained domains, on its port',
      selector('web', 'production', { domains: ['p.test'], publicPort: 8080 }),
      { app: 'web', keyChanged: true, prefixes: ['web_production', 'web'] },
    ],
    [
      'not the key from before on another port (another environment of the app)',
      selector('web', 'production', { domains: ['p.test'], publicPort: 9999 }),
      null,
    ],
    [
      'the key it had with domains, after dropping them',
      selector('shop', 'staging', { publicPort: 8083 }),
      { app: 'shop@staging', keyChanged: true, prefixes: ['shop', 'shop_staging'] },
    ],
    ['nothing', selector('shop', 'production', { publicPort: 8080 }), null],
  ])('%s', (_, selector, expected) => {
    const found = findEnvironmentRoute(routes, selector);
    if (expected === null)
      expect(found).toMatchObject({ keyChanged: false, targetPrefixes: [selector.targetPrefix] });
    expect(
      found.route === null
        ? null
        : { app: found.route.app, keyChanged: found.keyChanged, prefixes: found.targetPrefixes },
    ).toEqual(expected);
  });
});

describe('hasTargetPrefix', () => {
  it.each([
    ['web-1.0.0-abc123', 'web', true],
    ['web_staging-1.0.0-abc123', 'web', false],
    ['web_staging-1.0.0-abc123', 'web_staging', true],
    ['web_stagingx-1.0.0-abc123', 'web_staging', false],
    ['web-1.0.0-abc123', 'web_staging', false],
  ])('%s of %s: %s', (id, prefix, expected) => {
    expect(hasTargetPrefix(id, 'web', prefix)).toBe(expected);
  });
});
