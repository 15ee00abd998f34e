import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import {
  HostRoutes,
  normalisePathPrefix,
  normaliseRouteName,
  pathUnder,
  requestHostName,
  type HostRouteSpec,
} from './host-routes.js';

const TABLE: HostRouteSpec[] = [
  { id: 'shop', names: ['shop.example.com', 'WWW.Shop.Example.com.'] },
  { id: 'shop-api', names: ['shop.example.com'], pathPrefix: '/api' },
  { id: 'shop-api-v2', names: ['shop.example.com'], pathPrefix: '/api/v2/' },
  { id: 'staging', names: ['staging.shop.example.com'] },
  { id: 'apps', names: ['*.apps.example.com'] },
  { id: 'blog-admin', names: ['blog.example.com'], pathPrefix: 'admin' },
  { id: 'local', names: ['127.0.0.1', '[::1]'] },
];

function table(): HostRoutes<string> {
  const routes = new HostRoutes<string>();
  for (const spec of TABLE) routes.set(spec, spec.id);
  return routes;
}

describe('requestHostName', () => {
  it.each([
    [undefined, null, ''],
    ['', null, ''],
    ['shop.example.com', null, 'shop.example.com'],
    ['Shop.Example.COM', null, 'shop.example.com'],
    ['shop.example.com:8080', null, 'shop.example.com'],
    ['shop.example.com.', null, 'shop.example.com'],
    ['SHOP.example.com.:443', null, 'shop.example.com'],
    ['[::1]:8080', null, '[::1]'],
    ['[::1]', null, '[::1]'],
    ['127.0.0.1:80', null, '127.0.0.1'],
    // An absolute-form target's authority wins over the Host header (RFC 9112 §3.2.2).
    ['blog.example.com', 'Shop.Example.com:80', 'shop.example.com'],
    [undefined, 'shop.example.com', 'shop.example.com'],
  ])('Host %j, authority %j → %j', (host, authority, expected) => {
    expect(requestHostName(host, authority)).toBe(expected);
  });
});

describe('pathUnder', () => {
  it.each([
    ['/api', '/api', true],
    ['/api/', '/api', true],
    ['/api/x', '/api', true],
    ['/api?q=1', '/api', true],
    ['/apix', '/api', false],
    ['/ap', '/api', false],
    ['/', '/api', false],
    ['/anything', '/', true],
    ['*', '/', true],
    ['*', '/api', false],
  ])('%s under %s: %s', (path, prefix, expected) => {
    expect(pathUnder(path, prefix)).toBe(expected);
  });
});

describe('HostRoutes.match', () => {
  it.each([
    // exact names, case, port and trailing dot already normalised by requestHostName
    ['shop.example.com', '/', 'shop'],
    ['www.shop.example.com', '/cart?x=1', 'shop'],
    ['staging.shop.example.com', '/api', 'staging'],
    // longest prefix on whole segments
    ['shop.example.com', '/api', 'shop-api'],
    ['shop.example.com', '/api/orders', 'shop-api'],
    ['shop.example.com', '/api/v2', 'shop-api-v2'],
    ['shop.example.com', '/api/v2/orders?x', 'shop-api-v2'],
    ['shop.example.com', '/api/v20', 'shop-api'],
    ['shop.example.com', '/apix', 'shop'],
    ['shop.example.com', '*', 'shop'],
    // the prefix routes are per name: www has only the whole-site route
    ['www.shop.example.com', '/api/v2', 'shop'],
    // wildcard: exactly one label
    ['a.apps.example.com', '/', 'apps'],
    ['a-b.apps.example.com', '/x', 'apps'],
    ['apps.example.com', '/', undefined],
    ['a.b.apps.example.com', '/', undefined],
    // a name whose prefixes do not match the path matches nothing (no fallback)
    ['blog.example.com', '/admin/users', 'blog-admin'],
    ['blog.example.com', '/', undefined],
    ['blog.example.com', '/administrator', undefined],
    // addresses
    ['127.0.0.1', '/', 'local'],
    ['[::1]', '/', 'local'],
    // unknown names
    ['', '/', undefined],
    ['example.com', '/', undefined],
    ['shop.example.com.evil.test', '/', undefined],
    ['evil.test', '/', undefined],
  ])('%s %s → %s', (host, path, expected) => {
    expect(table().match(host, path)?.id).toBe(expected);
  });

  it('prefers an exact name to a wildcard that also covers it', () => {
    const routes = new HostRoutes<string>();
    routes.set({ id: 'all', names: ['*.example.com'] }, 'all');
    routes.set({ id: 'shop', names: ['shop.example.com'] }, 'shop');
    expect(routes.match('shop.example.com', '/')?.id).toBe('shop');
    expect(routes.match('blog.example.com', '/')?.id).toBe('all');
  });

  it('costs the same with 100 routes: one Map lookup per name kind', () => {
    const routes = new HostRoutes<number>();
    for (let i = 0; i < 100; i++) routes.set({ id: `app${i}`, names: [`app${i}.example.com`] }, i);
    expect(routes.match('app57.example.com', '/x')?.value).toBe(57);
    expect(routes.size).toBe(100);
  });
});

describe('HostRoutes.set and delete', () => {
  it('normalises what it lists', () => {
    expect(table().list()[0]).toEqual({
      id: 'shop',
      names: ['shop.example.com', 'www.shop.example.com'],
      pathPrefix: '/',
    });
    expect(
      table()
        .list()
        .find((r) => r.id === 'shop-api-v2')?.pathPrefix,
    ).toBe('/api/v2');
  });

  it('refuses a name and prefix another route has, naming both, and changes nothing', () => {
    const routes = table();
    const attempt = () =>
      routes.set({ id: 'shop-staging', names: ['new.example.com', 'Shop.Example.com'] }, 'x');
    expect(attempt).toThrow(SlipwayError);
    expect(attempt).toThrow('routes shop and shop-staging both answer to shop.example.com');
    expect(() => routes.set({ id: 'other', names: ['shop.example.com'], pathPrefix: '/api/' }, 'x')).toThrow(
      'routes shop-api and other both answer to shop.example.com/api',
    );
    expect(() => routes.set({ id: 'other', names: ['*.apps.example.com'] }, 'x')).toThrow(
      'routes apps and other',
    );
    expect(routes.match('new.example.com', '/')).toBeUndefined();
    expect(routes.size).toBe(TABLE.length);
  });

  it('allows the same name with another prefix, and a wildcard beside an exact name', () => {
    const routes = table();
    routes.set({ id: 'shop-admin', names: ['shop.example.com'], pathPrefix: '/admin' }, 'shop-admin');
    routes.set({ id: 'all', names: ['*.example.com'] }, 'all');
    expect(routes.match('shop.example.com', '/admin/x')?.id).toBe('shop-admin');
    expect(routes.match('shop.example.com', '/')?.id).toBe('shop');
    expect(routes.match('other.example.com', '/')?.id).toBe('all');
  });

  it('replaces a route set again under its id (its old names go)', () => {
    const routes = table();
    routes.set({ id: 'shop', names: ['shop.example.com', 'shop.example.net'] }, 'shop2');
    expect(routes.match('shop.example.net', '/')?.value).toBe('shop2');
    expect(routes.match('shop.example.com', '/')?.value).toBe('shop2');
    expect(routes.match('www.shop.example.com', '/')).toBeUndefined();
    expect(routes.size).toBe(TABLE.length);
  });

  it('deletes a route and only its entries', () => {
    const routes = table();
    expect(routes.delete('shop-api')).toBe(true);
    expect(routes.delete('shop-api')).toBe(false);
    expect(routes.match('shop.example.com', '/api/x')?.id).toBe('shop');
    expect(routes.match('shop.example.com', '/api/v2/x')?.id).toBe('shop-api-v2');
    routes.delete('apps');
    expect(routes.match('a.apps.example.com', '/')).toBeUndefined();
  });

  it.each([
    [''],
    ['*'],
    ['*.'],
    ['shop..example.com'],
    ['-shop.example.com'],
    ['shop example.com'],
    ['a.*.com'],
    ['http://x'],
  ])('refuses the name %j', (name) => {
    expect(() => normaliseRouteName(name)).toThrow(SlipwayError);
  });

  it('refuses a route without names', () => {
    expect(() => new HostRoutes().set({ id: 'x', names: [] }, 1)).toThrow('route x has no names');
  });

  it.each([
    [undefined, '/'],
    ['', '/'],
    ['/', '/'],
    ['api', '/api'],
    ['/api/', '/api'],
    ['/api//', '/api'],
  ])('normalises the prefix %j to %j', (prefix, expected) => {
    expect(normalisePathPrefix(prefix)).toBe(expected);
  });
});
