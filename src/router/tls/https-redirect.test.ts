import { describe, expect, it } from 'vitest';
import {
  formatHsts,
  hasHstsHeader,
  httpsLocation,
  httpsRedirectRule,
  parseHostHeader,
} from './https-redirect.js';

describe('httpsLocation', () => {
  it.each([
    // Host, method, target, HTTPS port → Location (null: served as it is)
    ['shop.example', 'GET', '/', 443, 'https://shop.example/'],
    ['shop.example:80', 'GET', '/cart?x=1&y=%20', 443, 'https://shop.example/cart?x=1&y=%20'],
    ['Shop.Example:8080', 'POST', '/a/b', 8443, 'https://shop.example:8443/a/b'],
    ['[::1]:80', 'GET', '/p', 443, 'https://[::1]/p'],
    ['10.0.0.1', 'GET', '/p', 443, 'https://10.0.0.1/p'],
    ['shop.example', 'GET', '//evil.example/x', 443, 'https://shop.example//evil.example/x'],
    // an absolute-form target's authority replaces Host, as the proxy does
    ['evil.example', 'GET', 'http://shop.example/x?y', 443, 'https://shop.example/x?y'],
    ['shop.example', 'OPTIONS', '*', 443, null],
    [undefined, 'GET', '/', 443, null],
    ['', 'GET', '/', 443, null],
    ['evil.example/x', 'GET', '/', 443, null],
    ['user@evil.example', 'GET', '/', 443, null],
    ['shop.example:99999', 'GET', '/', 443, null],
    ['shop.example', 'GET', 'ftp://x/', 443, null],
  ] as const)('Host %j, %s %s → %j', (host, method, target, port, want) => {
    expect(httpsLocation(host, method, target, port)?.location ?? null).toBe(want);
  });
});

describe('httpsRedirectRule', () => {
  const covers = (name: string) => name === 'shop.example' || name.endsWith('.apps.example');

  it('redirects only names a certificate covers by default, with 308', () => {
    const rule = httpsRedirectRule({}, () => 443, covers);
    expect(rule('shop.example', 'GET', '/x')).toEqual({ status: 308, location: 'https://shop.example/x' });
    expect(rule('a.apps.example:80', 'GET', '/')).toEqual({
      status: 308,
      location: 'https://a.apps.example/',
    });
    expect(rule('other.example', 'GET', '/x')).toBeNull();
    expect(rule('127.0.0.1', 'GET', '/x')).toBeNull();
  });

  it('redirects every usable Host with when: all, to the given port and status', () => {
    const rule = httpsRedirectRule(
      { when: 'all', status: 301, httpsPort: 8443 },
      () => 9999,
      () => false,
    );
    expect(rule('other.example', 'GET', '/x?q')).toEqual({
      status: 301,
      location: 'https://other.example:8443/x?q',
    });
    expect(rule(undefined, 'GET', '/x')).toBeNull();
  });

  it("names the TLS listener's port when none is given", () => {
    const rule = httpsRedirectRule(
      {},
      () => 8443,
      () => true,
    );
    expect(rule('shop.example', 'GET', '/')?.location).toBe('https://shop.example:8443/');
  });
});

describe('parseHostHeader', () => {
  it.each([
    ['shop.example', { name: 'shop.example', port: null }],
    ['SHOP.example:8080', { name: 'shop.example', port: 8080 }],
    ['[2001:db8::1]:443', { name: '[2001:db8::1]', port: 443 }],
    ['a b', null],
    ['shop.example:', null],
  ] as const)('%j → %j', (host, want) => {
    expect(parseHostHeader(host)).toEqual(want);
  });
});

describe('HSTS', () => {
  it('formats the header', () => {
    expect(formatHsts({})).toBe('max-age=31536000');
    expect(formatHsts({ maxAgeS: 600, includeSubDomains: true, preload: true })).toBe(
      'max-age=600; includeSubDomains; preload',
    );
  });

  it("finds an app's own header in any case", () => {
    expect(hasHstsHeader(['content-type', 'x', 'Strict-Transport-Security', 'max-age=1'])).toBe(true);
    expect(hasHstsHeader(['content-type', 'strict-transport-security'])).toBe(false); // a value, not a name
  });
});
