import { describe, expect, it } from 'vitest';
import { ACME_DIRECTORIES } from '../certificates/acme-ca.js';
import {
  ACME_DIRECTORY_NAMES,
  checkAcmeDirectory,
  checkDomainName,
  checkPathPrefix,
} from './front-door-schema.js';
import { parseConfig } from './parse-config.js';

describe('checkDomainName', () => {
  it.each([
    'shop.example.com',
    'www.shop.example.com',
    'localhost',
    'xn--bcher-kva.example',
    '*.example.com',
    '*.shop.example.co.uk',
    'a-b.example.com',
    `${'a'.repeat(63)}.example.com`,
  ])('accepts %s', (name) => {
    expect(checkDomainName(name)).toBeUndefined();
  });

  it.each([
    ['https://shop.example.com', 'without a scheme: write "shop.example.com"'],
    ['HTTP://Shop.example.com:8080/x', 'without a scheme: write "shop.example.com"'],
    ['shop.example.com/api', 'without a path: write "shop.example.com" (a path goes in pathPrefix)'],
    ['shop.example.com:443', 'without a port: write "shop.example.com"'],
    ['shop.example.com:', 'without a port'],
    ['Shop.Example.com', 'lower case: write "shop.example.com"'],
    ['shop.example.com.', 'without the trailing dot: "shop.example.com"'],
    ['bücher.example', 'ASCII (punycode) form: "xn--bcher-kva.example"'],
    ['*.com', 'a wildcard is "*" as the whole first label'],
    ['*', 'a wildcard is "*" as the whole first label'],
    ['w*.example.com', 'a wildcard is "*" as the whole first label'],
    ['a.*.example.com', 'a wildcard is "*" as the whole first label'],
    ['*.*.example.com', 'a wildcard is "*" as the whole first label'],
    ['10.0.0.1', 'not an IP address'],
    ['10.0.0.1:80', 'not an IP address'],
    ['::1', 'not an IP address'],
    ['[::1]', 'not an IP address'],
    ['shop.123', 'its last label is all digits'],
    ['a_b.example.com', 'the label "a_b"'],
    ['-shop.example.com', 'the label "-shop"'],
    ['shop..example.com', 'without empty labels'],
    [`${'a'.repeat(64)}.example.com`, 'is not 1 to 63'],
    [`${'a.'.repeat(127)}com`, 'at most 253 characters'],
    ['shop example.com', 'must not contain spaces'],
    ['', 'expected a host name'],
    ['shop\0.example.com', 'NUL'],
  ])('refuses %j: %s', (name, message) => {
    expect(checkDomainName(name)).toContain(message);
  });
});

describe('checkPathPrefix', () => {
  it.each(['/', '/api', '/api/v1', '/a-b_c.d~e', '/caf%C3%A9', "/x:y@z!$&'()*+,;="])('accepts %s', (p) => {
    expect(checkPathPrefix(p)).toBeUndefined();
  });

  it.each([
    ['api', 'starting with "/", such as "/api"'],
    ['/api/', 'without a trailing "/": "/api"'],
    ['//', 'without a trailing "/": "/"'],
    ['/a//b', 'no empty segment ("//"): write "/a/b"'],
    ['/a/../b', '"." or ".." segments'],
    ['/..', '"." or ".." segments'],
    ['/./a', '"." or ".." segments'],
    ['/api?x=1', 'no query'],
    ['/api#x', 'no query ("?") or fragment'],
    ['/a b', 'no spaces'],
    ['/a%zz', 'others as %XX'],
    ['/a\\b', 'others as %XX'],
    [`/${'a'.repeat(1024)}`, 'at most 1024'],
  ])('refuses %j: %s', (prefix, message) => {
    expect(checkPathPrefix(prefix)).toContain(message);
  });
});

describe('checkAcmeDirectory', () => {
  it('knows the same CA names as src/certificates', () => {
    expect([...ACME_DIRECTORY_NAMES].sort()).toEqual(Object.keys(ACME_DIRECTORIES).sort());
  });

  it.each([
    ['letsencrypt', undefined],
    ['letsencrypt-staging', undefined],
    ['https://127.0.0.1:14000/dir', undefined],
    ['http://127.0.0.1:14000/dir', 'expected an https:// directory URL'],
    ['lets-encrypt', 'expected "letsencrypt" or "letsencrypt-staging"'],
  ])('%s → %s', (directory, message) => {
    const problem = checkAcmeDirectory(directory);
    if (message === undefined) expect(problem).toBeUndefined();
    else expect(problem).toContain(message);
  });
});

const BASE = [
  'app: shop',
  'run: { command: node server.js }',
  'environments:',
  '  production:',
  '    publicPort: 8080',
];

function parse(...lines: string[]) {
  return parseConfig(`${[...BASE, ...lines].join('\n')}\n`, 'slipway.yml');
}

function issuesOf(result: ReturnType<typeof parseConfig>) {
  return 'issues' in result ? result.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`) : [];
}

describe('the front door keys in slipway.yml', () => {
  it('leaves a config without them as it was: no new key appears with a default', () => {
    const result = parse();
    if ('issues' in result) throw new Error(JSON.stringify(result.issues));
    const env = result.config.environments.production!;
    expect(Object.keys(env)).not.toContain('domains');
    expect([env.domains, env.pathPrefix, env.frontDoor, env.tls]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('reads domains, a prefix, the front door and TLS from files, filling the defaults', () => {
    const result = parse(
      '    domains: [shop.example.com, www.shop.example.com]',
      '    pathPrefix: /api',
      '    frontDoor: { httpPort: 8000 }',
      '    tls:',
      '      certificates: [{ cert: certs/shop.pem, key: /etc/ssl/shop.key }]',
      '      hsts: {}',
    );
    if ('issues' in result) throw new Error(JSON.stringify(result.issues));
    const env = result.config.environments.production!;
    expect(env.domains).toEqual(['shop.example.com', 'www.shop.example.com']);
    expect(env.pathPrefix).toBe('/api');
    expect(env.frontDoor).toEqual({ httpPort: 8000, httpsPort: 443, bindAddress: '0.0.0.0' });
    expect(env.tls).toEqual({
      certificates: [{ cert: 'certs/shop.pem', key: '/etc/ssl/shop.key' }],
      redirect: true,
      hsts: { maxAge: '365d', includeSubDomains: false, preload: false },
    });
  });

  it('reads ACME with the Let’s Encrypt directory by default', () => {
    const result = parse(
      '    domains: [shop.example.com]',
      '    tls: { acme: { email: ops@example.com, caBundle: pebble.minica.pem }, redirect: false }',
    );
    if ('issues' in result) throw new Error(JSON.stringify(result.issues));
    expect(result.config.environments.production?.tls).toEqual({
      acme: { email: 'ops@example.com', directory: 'letsencrypt', caBundle: 'pebble.minica.pem' },
      redirect: false,
    });
  });

  it('points at each bad name with its line and column', () => {
    const result = parse(
      '    domains:',
      '      - shop.example.com',
      '      - https://www.shop.example.com',
      '      - "shop.example.com:8443"',
    );
    expect(issuesOf(result)).toEqual([
      '8:9 environments.production.domains[1]: a domain is a host name without a scheme: write "www.shop.example.com", without "https://", got "https://www.shop.example.com"',
      '9:9 environments.production.domains[2]: a domain is a host name without a port: write "shop.example.com" (the ports are frontDoor.httpPort and frontDoor.httpsPort), got "shop.example.com:8443"',
    ]);
  });

  it.each([
    ['    domains: []', 'environments.production.domains', 'expected at least 1 item'],
    ['    domains: shop.example.com', 'environments.production.domains', 'expected a list'],
    [
      '    domains: [a.test]\n    frontDoor: { httpPort: 8443, httpsPort: 8443 }',
      'environments.production.frontDoor.httpsPort',
      'httpPort and httpsPort must differ',
    ],
    [
      '    domains: [a.test]\n    frontDoor: { bindAddress: localhost }',
      'environments.production.frontDoor.bindAddress',
      'expected an IP address',
    ],
    [
      '    domains: [a.test]\n    tls: { acme: { email: ops } }',
      'environments.production.tls.acme.email',
      'expected an email address',
    ],
    [
      '    domains: [a.test]\n    tls: { acme: { email: a@b.co, directory: http://ca.test/dir } }',
      'environments.production.tls.acme.directory',
      'expected an https:// directory URL',
    ],
    [
      '    domains: [a.test]\n    tls: { certificates: [{ cert: a.pem }] }',
      'environments.production.tls.certificates[0]',
      'missing required key "key"',
    ],
    [
      '    domains: [a.test]\n    tls: { certificates: [{ cert: "", key: a.key }] }',
      'environments.production.tls.certificates[0].cert',
      'expected the path of a PEM certificate chain',
    ],
    [
      '    domains: [a.test]\n    tls: { certificates: [], redirect: true }',
      'environments.production.tls.certificates',
      'expected at least 1 item',
    ],
    [
      '    domains: [a.test]\n    tls: { acme: { email: a@b.co }, hsts: { maxAge: 1y } }',
      'environments.production.tls.hsts.maxAge',
      'expected a duration',
    ],
    [
      '    domains: [a.test]\n    tls: { acme: { email: a@b.co }, redirects: true }',
      'environments.production.tls.redirects',
      'did you mean "redirect"',
    ],
    ['    domain: [a.test]', 'environments.production.domain', 'did you mean "domains"'],
  ])('refuses %j at %s', (lines, path, message) => {
    const result = parse(lines);
    if ('config' in result) throw new Error('expected issues');
    expect(result.issues.map((i) => i.path)).toEqual([path]);
    expect(result.issues[0]?.message).toContain(message);
  });

  it('refuses more than 100 names', () => {
    const names = Array.from({ length: 101 }, (_, i) => `n${i}.example.com`).join(', ');
    expect(issuesOf(parse(`    domains: [${names}]`)).join('\n')).toContain('expected at most 100 items');
  });
});
