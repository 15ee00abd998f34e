import { describe, expect, it } from 'vitest';
import { environmentSchema } from '../config/schema.js';
import {
  deriveFrontDoorEndpoint,
  frontDoorUrl,
  pathUnderPrefix,
  reachableAddress,
} from './front-door-endpoint.js';

// Where the control plane reaches an environment's names: pure, from the config alone.

const env = (o: Record<string, unknown>) => environmentSchema.parse({ publicPort: 8000, ...o });
const certificates = [{ cert: 'c.pem', key: 'c.key' }];
const web1 = { name: 'web1', address: '10.0.0.11' };

describe('deriveFrontDoorEndpoint', () => {
  it.each<[string, Record<string, unknown>, ReturnType<typeof deriveFrontDoorEndpoint>]>([
    ['no domains: no front door', {}, null],
    [
      'local, every interface: loopback, HTTPS on the default port',
      { domains: ['shop.test', 'www.shop.test'], tls: { certificates } },
      {
        scheme: 'https',
        address: '127.0.0.1',
        port: 443,
        names: ['shop.test', 'www.shop.test'],
        pathPrefix: '/',
      },
    ],
    [
      "local: the front door's own bind address and ports (not the environment's)",
      {
        bindAddress: '127.0.0.2',
        domains: ['shop.test'],
        frontDoor: { httpPort: 8080, httpsPort: 8443, bindAddress: '127.0.0.3' },
        tls: { acme: { email: 'ops@shop.test' } },
        pathPrefix: '/api',
      },
      { scheme: 'https', address: '127.0.0.3', port: 8443, names: ['shop.test'], pathPrefix: '/api' },
    ],
    [
      'without tls: plain HTTP on httpPort',
      { domains: ['blog.test'], frontDoor: { httpPort: 8080, httpsPort: 8443 } },
      { scheme: 'http', address: '127.0.0.1', port: 8080, names: ['blog.test'], pathPrefix: '/' },
    ],
    [
      'an SSH host: its address; wildcards are no name to ask for',
      {
        hosts: [web1, { name: 'web2', address: '10.0.0.12' }],
        domains: ['*.shop.test', 'shop.test'],
        tls: { certificates },
      },
      { scheme: 'https', address: '10.0.0.11', port: 443, names: ['shop.test'], pathPrefix: '/' },
    ],
    [
      "an edge: the edge's host",
      {
        hosts: [web1],
        edge: { host: { name: 'edge', address: '10.0.0.1' }, publicPort: 8000 },
        domains: ['shop.test'],
        tls: { certificates },
      },
      { scheme: 'https', address: '10.0.0.1', port: 443, names: ['shop.test'], pathPrefix: '/' },
    ],
    ['only wildcards: nothing to ask for', { domains: ['*.shop.test'], tls: { certificates } }, null],
  ])('%s', (_name, o, expected) => {
    expect(deriveFrontDoorEndpoint(env(o))).toEqual(expected);
  });
});

describe('addresses, URLs and paths', () => {
  it('reaches local on its bind address, or loopback for every interface; an SSH host at its address', () => {
    expect(reachableAddress('local', '0.0.0.0')).toBe('127.0.0.1');
    expect(reachableAddress('local', '::')).toBe('127.0.0.1');
    expect(reachableAddress('local', '::1')).toBe('::1');
    expect(reachableAddress({ ...web1, port: 22, user: 'root', roles: [], agentHome: '/x' }, '0.0.0.0')).toBe(
      '10.0.0.11',
    );
  });

  it('names the URL by the name, the port only when it is not the default', () => {
    const door = { scheme: 'https' as const, address: '127.0.0.1', port: 443, names: [], pathPrefix: '/' };
    expect(frontDoorUrl(door, 'shop.test', '/')).toBe('https://shop.test/');
    expect(frontDoorUrl({ ...door, port: 8443 }, 'shop.test', '/healthz')).toBe(
      'https://shop.test:8443/healthz',
    );
    expect(frontDoorUrl({ ...door, scheme: 'http', port: 80 }, 'blog.test', '/')).toBe('http://blog.test/');
  });

  it.each([
    ['/', '/', '/'],
    ['/', '/healthz', '/healthz'],
    ['/api', '/', '/api/'],
    ['/api', '/healthz', '/api/healthz'],
    ['/api', '/api', '/api'],
    ['/api', '/api/healthz', '/api/healthz'],
    ['/api', '/apix', '/api/apix'],
  ])('under %s, %s is %s', (prefix, path, expected) => {
    expect(pathUnderPrefix(prefix, path)).toBe(expected);
  });
});
