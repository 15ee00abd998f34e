import { describe, expect, it } from 'vitest';
import { certificateNames, nameCovers, normalizeServerName, selectCertificate } from './certificate-names.js';

const SHOP = { names: ['shop.example.com', 'www.shop.example.com'] };
const BLOG = { names: ['blog.example.com'] };
const WILD = { names: ['*.example.com'] };
const OTHER = { names: ['other.test'] };
const TABLE = [SHOP, BLOG, WILD, OTHER];

describe('selectCertificate', () => {
  it.each([
    // server name (SNI), default index, chosen index
    ['shop.example.com', null, 0],
    ['SHOP.Example.COM', null, 0], // DNS names are case-insensitive
    ['shop.example.com.', null, 0], // a trailing dot is the same name
    ['www.shop.example.com', null, 0],
    ['blog.example.com', null, 1], // exact before the wildcard listed after it
    ['api.example.com', null, 2], // the wildcard covers one label
    ['other.test', null, 3],
    ['example.com', null, null], // a wildcard does not cover its own base name
    ['a.b.example.com', null, null], // nor two labels
    ['x.shop.example.com', null, null],
    ['unknown.test', null, null], // no certificate: the handshake fails
    ['unknown.test', 3, 3], // … unless a default certificate is configured
    ['example.com', 1, 1],
    [null, null, null], // no SNI and no default
    [null, 0, 0], // no SNI: the default
    ['', null, null],
    ['bad name.example.com', null, null], // not a DNS name
    ['evil.com\u0000.example.com', null, null],
    ['shop.example.com..', null, null],
    ['.example.com', null, null],
  ] as const)('%j with default %j → %j', (sni, def, want) => {
    expect(selectCertificate(sni, TABLE, def)).toBe(want);
  });

  it('prefers an exact name over a wildcard listed first, and the first of two exact ones', () => {
    expect(selectCertificate('blog.example.com', [WILD, BLOG])).toBe(1);
    expect(selectCertificate('blog.example.com', [WILD, BLOG, BLOG])).toBe(1);
    expect(selectCertificate('api.example.com', [WILD, { names: ['*.example.com'] }])).toBe(0);
  });

  it('selects nothing from an empty table', () => {
    expect(selectCertificate('shop.example.com', [])).toBeNull();
  });
});

describe('nameCovers', () => {
  it.each([
    ['shop.example.com', 'shop.example.com', true],
    ['SHOP.example.com', 'shop.example.com', true],
    ['shop.example.com', 'www.shop.example.com', false],
    ['*.example.com', 'a.example.com', true],
    ['*.EXAMPLE.com', 'a.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'aexample.com', false],
    ['*.com', 'example.com', false], // a wildcard over one label covers nothing
    ['*.*.example.com', 'a.b.example.com', false],
    ['w*.example.com', 'www.example.com', false], // partial-label wildcards are not honoured
    ['*', 'localhost', false],
  ] as const)('%s covers %s: %s', (pattern, name, want) => {
    expect(nameCovers(pattern, name)).toBe(want);
  });
});

describe('normalizeServerName', () => {
  it.each([
    ['Shop.Example.com', 'shop.example.com'],
    ['shop.example.com.', 'shop.example.com'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['localhost', 'localhost'],
    ['_acme.example.com', '_acme.example.com'],
    ['-bad.example.com', null],
    ['a..b', null],
    ['a b', null],
    ['', null],
    ['a'.repeat(64) + '.example', null],
  ] as const)('%j → %j', (name, want) => {
    expect(normalizeServerName(name)).toBe(want);
  });
});

describe('certificateNames', () => {
  it('reads the DNS names of subjectAltName, ignoring IP and other entries', () => {
    expect(
      certificateNames('DNS:shop.example.com, DNS:*.Example.com, IP Address:127.0.0.1', 'CN=ignored'),
    ).toEqual(['shop.example.com', '*.example.com']);
  });

  it('falls back to the subject CN only when there is no subjectAltName', () => {
    expect(certificateNames(undefined, 'C=DE\nCN=legacy.example.com')).toEqual(['legacy.example.com']);
    expect(certificateNames(undefined, 'O=nobody')).toEqual([]);
  });
});
