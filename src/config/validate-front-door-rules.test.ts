import { describe, expect, it } from 'vitest';
import { parseConfig } from './parse-config.js';
import { configSchema, type SlipwayConfig } from './schema.js';
import { validateFrontDoorRules } from './validate-front-door-rules.js';

/** A schema-valid config (defaults filled in) with these environments. */
function config(environments: Record<string, Record<string, unknown>>): SlipwayConfig {
  return configSchema.parse({ app: 'shop', run: { command: 'node server.js' }, environments });
}

const issues = (environments: Record<string, Record<string, unknown>>) =>
  validateFrontDoorRules(config(environments)).map((i) => ({ path: i.path.join('.'), message: i.message }));

const WEB1 = { name: 'web1', address: '10.0.0.1' };
const WEB2 = { name: 'web2', address: '10.0.0.2' };
const ACME = { acme: { email: 'ops@example.com' } };
const FILES = { certificates: [{ cert: 'shop.pem', key: 'shop.key' }] };

describe('validateFrontDoorRules: one environment', () => {
  it.each([
    ['no front door keys at all (every existing config)', {}],
    ['domains without tls: plain HTTP', { domains: ['shop.example.com'] }],
    ['domains with a prefix', { domains: ['shop.example.com'], pathPrefix: '/api' }],
    ['tls from files', { domains: ['shop.example.com', '*.example.com'], tls: FILES }],
    ['tls with ACME', { domains: ['shop.example.com', 'www.shop.example.com'], tls: ACME }],
    [
      'HSTS fit for preload',
      {
        domains: ['a.test'],
        tls: { ...ACME, hsts: { maxAge: '365d', includeSubDomains: true, preload: true } },
      },
    ],
    ['HSTS max-age 0 (forget)', { domains: ['a.test'], tls: { ...ACME, hsts: { maxAge: '0s' } } }],
    ['a front door on other ports', { domains: ['a.test'], frontDoor: { httpPort: 8000, httpsPort: 8443 } }],
    // publicPort stays: the environment's own router keeps serving it beside the front door.
    ['publicPort beside domains', { publicPort: 8080, domains: ['a.test'], tls: ACME }],
    [
      'ACME for a fleet behind an edge (its host has the one front door)',
      { hosts: [WEB1, WEB2], edge: { host: WEB1, publicPort: 8000 }, domains: ['a.test'], tls: ACME },
    ],
    ['files on several hosts without an edge', { hosts: [WEB1, WEB2], domains: ['a.test'], tls: FILES }],
    // One certificate for the fleet, obtained by the control plane (the obtain-certificate step).
    ['ACME on several hosts without an edge', { hosts: [WEB1, WEB2], domains: ['a.test'], tls: ACME }],
    // Without tls the front door opens no HTTPS port: a router on 443 is no clash.
    ['publicPort 443 with plain-HTTP domains', { publicPort: 443, domains: ['a.test'] }],
  ])('accepts %s', (_what, env) => {
    expect(issues({ production: { publicPort: 8080, ...env } })).toEqual([]);
  });

  it.each([
    [
      'tls without domains',
      { tls: ACME },
      'environments.production.tls',
      'tls needs domains (a certificate is for names), and environments.production has none',
    ],
    [
      'pathPrefix without domains',
      { pathPrefix: '/api' },
      'environments.production.pathPrefix',
      'pathPrefix needs domains',
    ],
    [
      'frontDoor without domains',
      { frontDoor: {} },
      'environments.production.frontDoor',
      'frontDoor needs domains',
    ],
    [
      'tls with neither source',
      { domains: ['a.test'], tls: { redirect: true } },
      'environments.production.tls',
      'tls needs a source of certificates',
    ],
    [
      'tls with both sources',
      { domains: ['a.test'], tls: { ...ACME, ...FILES } },
      'environments.production.tls.acme',
      'give either tls.certificates (files) or tls.acme (automatic), not both',
    ],
    [
      'a wildcard with ACME',
      { domains: ['shop.example.com', '*.example.com'], tls: ACME },
      'environments.production.domains.1',
      '"*.example.com" cannot be obtained with tls.acme: a CA issues a wildcard only after a DNS-01 challenge',
    ],
    [
      'a name listed twice',
      { domains: ['a.test', 'b.test', 'a.test'] },
      'environments.production.domains.2',
      '"a.test" is listed twice in environments.production.domains',
    ],
    [
      'preload without includeSubDomains',
      { domains: ['a.test'], tls: { ...ACME, hsts: { preload: true } } },
      'environments.production.tls.hsts.preload',
      'needs includeSubDomains: true and a maxAge of at least 365d',
    ],
    [
      'preload with a short max-age',
      {
        domains: ['a.test'],
        tls: { ...ACME, hsts: { preload: true, includeSubDomains: true, maxAge: '364d' } },
      },
      'environments.production.tls.hsts.preload',
      'a maxAge of at least 365d',
    ],
    [
      'a max-age that is no whole number of seconds',
      { domains: ['a.test'], tls: { ...ACME, hsts: { maxAge: '1500ms' } } },
      'environments.production.tls.hsts.maxAge',
      'whole seconds: write "1s"',
    ],
    [
      "its own publicPort on the front door's default port",
      { publicPort: 80, domains: ['a.test'] },
      'environments.production.domains',
      `the front door's httpPort 80 on host "local" is also the publicPort of environment "production"; give one of them another port (the front door's default is 80: set frontDoor.httpPort)`,
    ],
    [
      "its metrics port on the front door's HTTPS port",
      { metricsPort: 9443, domains: ['a.test'], frontDoor: { httpsPort: 9443 }, tls: ACME },
      'environments.production.frontDoor.httpsPort',
      `the front door's httpsPort 9443 on host "local" is also the metricsPort of environment "production"`,
    ],
  ])('refuses %s', (_what, env, path, message) => {
    const found = issues({ production: { publicPort: 8080, ...env } });
    expect(found.map((i) => i.path)).toEqual([path]);
    expect(found[0]?.message).toContain(message);
  });
});

describe('validateFrontDoorRules: environments sharing a host', () => {
  it.each([
    ['different names', { domains: ['shop.example.com'] }, { domains: ['staging.shop.example.com'] }],
    [
      'one name, different prefixes',
      { domains: ['shop.example.com'] },
      { domains: ['shop.example.com'], pathPrefix: '/api' },
    ],
    [
      'a wildcard and an exact name it covers (the exact name wins)',
      { domains: ['*.example.com'] },
      { domains: ['shop.example.com'] },
    ],
    [
      'one name on different hosts (DNS decides)',
      { hosts: [WEB1], domains: ['shop.example.com'] },
      { hosts: [WEB2], domains: ['shop.example.com'] },
    ],
    [
      'one name on hosts that share only app hosts, behind different edges',
      { hosts: [WEB1], edge: { host: WEB2, publicPort: 8000 }, domains: ['shop.example.com'] },
      { hosts: [WEB1], domains: ['shop.example.com'], frontDoor: { httpPort: 8001, httpsPort: 8444 } },
    ],
  ])('accepts %s', (_what, a, b) => {
    expect(issues({ production: { publicPort: 8080, ...a }, staging: { publicPort: 8081, ...b } })).toEqual(
      [],
    );
  });

  it('refuses one name and prefix in two environments on one host, naming both', () => {
    expect(
      issues({
        production: {
          publicPort: 8080,
          hosts: [WEB1, WEB2],
          domains: ['shop.example.com', 'www.shop.example.com'],
        },
        staging: {
          publicPort: 8081,
          hosts: [WEB2],
          domains: ['staging.example.com', 'www.shop.example.com'],
        },
      }),
    ).toEqual([
      {
        path: 'environments.staging.domains.1',
        message:
          'environments "production" and "staging" both answer to "www.shop.example.com" on host "web2"; give one of them another name or pathPrefix',
      },
    ]);
  });

  it('refuses one wildcard and one prefix twice, saying the prefix', () => {
    const found = issues({
      production: { publicPort: 8080, domains: ['*.example.com'], pathPrefix: '/api' },
      staging: { publicPort: 8081, domains: ['*.example.com'], pathPrefix: '/api' },
    });
    expect(found.map((i) => i.message)).toEqual([
      'environments "production" and "staging" both answer to "*.example.com" with pathPrefix /api on host "local"; give one of them another name or pathPrefix',
    ]);
  });

  it('compares at the edge host: two environments behind edges on one host share its front door', () => {
    const found = issues({
      production: {
        publicPort: 8080,
        hosts: [WEB1],
        edge: { host: 'local', publicPort: 8000 },
        domains: ['a.test'],
      },
      staging: {
        publicPort: 8081,
        hosts: [WEB2],
        edge: { host: 'local', publicPort: 8001 },
        domains: ['a.test'],
      },
    });
    expect(found.map((i) => i.path)).toEqual(['environments.staging.domains.0']);
    expect(found[0]?.message).toContain('on host "local"');
  });

  it('refuses two front doors on one host, explicit or by default', () => {
    const found = issues({
      production: { publicPort: 8080, domains: ['a.test'] },
      staging: { publicPort: 8081, domains: ['b.test'], frontDoor: { httpPort: 8000 } },
      preview: { publicPort: 8082, domains: ['c.test'], frontDoor: { httpPort: 80 } },
    });
    expect(found).toEqual([
      {
        path: 'environments.staging.frontDoor',
        message:
          'environment "staging" gives host "local"\'s front door ports 8000/443 on 0.0.0.0, but environment "production" gives it ports 80/443 on 0.0.0.0; a host has one front door: give both the same frontDoor',
      },
    ]);
  });

  it("refuses another environment's router or edge on a front door port of the host", () => {
    const found = issues({
      production: { publicPort: 8080, domains: ['a.test'], tls: ACME },
      legacy: { publicPort: 443 },
      fleet: { publicPort: 8082, hosts: [WEB1], edge: { host: 'local', publicPort: 80 } },
    });
    expect(found.map((i) => [i.path, i.message])).toEqual([
      [
        'environments.production.domains',
        `the front door's httpPort 80 on host "local" is also the edge publicPort of environment "fleet"; give one of them another port (the front door's default is 80: set frontDoor.httpPort)`,
      ],
    ]);
    // The HTTPS clash is the same key: one issue per key, the first.
    const httpsOnly = issues({
      production: { publicPort: 8080, domains: ['a.test'], tls: ACME },
      legacy: { publicPort: 443 },
    });
    expect(httpsOnly.map((i) => i.message)).toEqual([
      `the front door's httpsPort 443 on host "local" is also the publicPort of environment "legacy"; give one of them another port (the front door's default is 443: set frontDoor.httpsPort)`,
    ]);
  });
});

describe('the front door rules through parseConfig', () => {
  it('reports an overlap at the name, with its line and column', () => {
    const text = [
      'app: shop',
      'run: { command: node server.js }',
      'environments:',
      '  production:',
      '    publicPort: 8080',
      '    domains: [shop.example.com]',
      '  staging:',
      '    publicPort: 8081',
      '    domains:',
      '      - staging.shop.example.com',
      '      - shop.example.com',
    ].join('\n');
    const result = parseConfig(text, 'slipway.yml');
    expect('issues' in result ? result.issues.map((i) => [i.line, i.column, i.path, i.message]) : []).toEqual(
      [
        [
          11,
          9,
          'environments.staging.domains[1]',
          'environments "production" and "staging" both answer to "shop.example.com" on host "local"; give one of them another name or pathPrefix',
        ],
      ],
    );
  });

  it('reports tls without domains at the tls key', () => {
    const text =
      'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    publicPort: 8080\n    tls: { acme: { email: a@b.co } }\n';
    const result = parseConfig(text, 'slipway.yml');
    expect('issues' in result ? result.issues.map((i) => [i.line, i.column, i.path]) : []).toEqual([
      [6, 5, 'environments.production.tls'],
    ]);
  });
});
