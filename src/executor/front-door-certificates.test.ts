import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.js';
import { createTestPki } from '../router/test-certificates.js';
import { checkCertificates, plannedFrontDoorOf, type ReadCertificate } from './front-door-certificates.js';

const pki = createTestPki();
const shop = pki.issue('shop', ['shop.test', 'www.shop.test']);
const wild = pki.issue('wild', ['*.shop.test']);
afterAll(() => pki.remove());

const read = (leaf: typeof shop, key = leaf.key): ReadCertificate => ({
  certFile: leaf.certFile,
  keyFile: leaf.keyFile,
  cert: leaf.cert,
  key,
});

describe('checkCertificates', () => {
  const now = Date.now();

  it('accepts names covered exactly or by a one-label wildcard', () => {
    expect(() =>
      checkCertificates('production', ['shop.test', 'api.shop.test'], [read(shop), read(wild)], now),
    ).not.toThrow();
  });

  it('refuses a domain none covers, naming it and what the certificates cover', () => {
    const check = () =>
      checkCertificates('production', ['shop.test', 'a.b.shop.test'], [read(shop), read(wild)], now);
    expect(check).toThrow(InputError);
    expect(check).toThrow(/a\.b\.shop\.test is covered by none of the certificates .*\*\.shop\.test/);
  });

  it('refuses a key that does not match its certificate', () => {
    expect(() => checkCertificates('production', ['shop.test'], [read(shop, wild.key)], now)).toThrow(
      /the key .*shop\.key does not match the certificate .*shop\.pem/,
    );
  });

  it('refuses an expired certificate', () => {
    const later = now + 30 * 86_400_000;
    expect(() => checkCertificates('production', ['shop.test'], [read(shop)], later)).toThrow(/expired on/);
  });

  it('needs no certificate without tls', () => {
    expect(() => checkCertificates('production', ['shop.test'], [], now)).not.toThrow();
  });
});

describe('plannedFrontDoorOf', () => {
  it('resolves certificate paths against the project and gives the default ports', () => {
    const env = {
      hosts: ['local' as const],
      domains: ['shop.test'],
      tls: { certificates: [{ cert: 'certs/a.pem', key: '~/a.key' }], redirect: true },
    };
    expect(plannedFrontDoorOf('shop', 'production', env as never, '/proj', '/home/me')).toEqual({
      names: ['shop.test'],
      pathPrefix: '/',
      httpPort: 80,
      httpsPort: 443,
      bindAddress: '0.0.0.0',
      certificates: [{ certFile: '/proj/certs/a.pem', keyFile: '/home/me/a.key' }],
      redirect: true,
    });
    expect(plannedFrontDoorOf('shop', 'production', { hosts: [] }, '/proj', '/home/me')).toBeNull();
  });

  it('names the ACME CA by its directory URL, with the CA bundle resolved, and carries HSTS and the redirect', () => {
    const env = {
      hosts: ['local' as const],
      domains: ['shop.test'],
      tls: {
        acme: { email: 'ops@shop.test', directory: 'letsencrypt', caBundle: 'ca.pem' },
        redirect: false,
        hsts: { maxAge: '1d', includeSubDomains: true, preload: false },
      },
    };
    expect(plannedFrontDoorOf('shop', 'production', env as never, '/proj', '/home/me')).toMatchObject({
      certificates: [],
      acme: {
        directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
        email: 'ops@shop.test',
        caBundleFile: '/proj/ca.pem',
      },
      redirect: false,
      hsts: { maxAgeS: 86_400, includeSubDomains: true, preload: false },
    });
  });

  it('without tls: no certificates, no redirect, no HSTS', () => {
    const door = plannedFrontDoorOf('shop', 'production', { hosts: [], domains: ['shop.test'] }, '/p');
    expect(door).toMatchObject({ certificates: [] });
    expect(door).not.toHaveProperty('redirect');
    expect(door).not.toHaveProperty('hsts');
    expect(door).not.toHaveProperty('acme');
  });
});
