import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { InputError } from '../core/errors.js';
import { holdsSharedCertificate } from '../config/config-values-front-door.js';
import { planCertificateRenewal } from './renew-certificates.js';

const config = configSchema.parse({
  app: 'shop',
  run: { command: 'node server.js' },
  environments: {
    production: {
      publicPort: 8080,
      hosts: [{ name: 'web1', address: '10.0.0.1' }, { name: 'web2', address: '10.0.0.2' }, 'local'],
      domains: ['shop.example.com', 'www.shop.example.com'],
      tls: { acme: { email: 'ops@example.com' } },
    },
    fleet: {
      publicPort: 8081,
      hosts: [
        { name: 'web1', address: '10.0.0.1' },
        { name: 'web2', address: '10.0.0.2' },
      ],
      edge: { host: { name: 'edge1', address: '10.0.0.9' }, publicPort: 8000 },
      domains: ['fleet.example.com'],
      tls: { acme: { email: 'ops@example.com' } },
    },
    files: {
      publicPort: 8082,
      domains: ['files.example.com'],
      tls: { certificates: [{ cert: 'c.pem', key: 'k.pem' }] },
    },
    plain: { publicPort: 8083, domains: ['plain.test'] },
    legacy: { publicPort: 8084 },
  },
});
const envs = config.environments;
const plan = (env: string, request: { revoke: boolean; reason?: string; whenDue?: boolean }) =>
  planCertificateRenewal('shop', env, envs[env]!, request);

describe('planCertificateRenewal', () => {
  it('renews the certificate of several hosts without an edge on the control plane, for each of them', () => {
    expect(plan('production', { revoke: false })).toEqual({
      targets: [
        { host: 'web1', key: 'shop@production' },
        { host: 'web2', key: 'shop@production' },
        { host: 'local', key: 'shop@production' },
      ],
      shared: true,
      revoke: null,
    });
  });

  it("asks only the edge's host with an edge, under the edge's key", () => {
    expect(plan('fleet', { revoke: true, reason: 'keyCompromise' })).toEqual({
      targets: [{ host: 'edge1', key: 'edge:shop@fleet' }],
      shared: false,
      revoke: 'keyCompromise',
    });
  });

  it('revokes for an unspecified reason when none is given', () => {
    expect(plan('production', { revoke: true }).revoke).toBe('unspecified');
  });

  it.each([
    [
      'files',
      { revoke: false },
      /serves certificate files \(tls\.certificates\), not certificates from ACME/,
    ],
    ['plain', { revoke: false }, /plain has no tls: its names are served over plain HTTP/],
    ['legacy', { revoke: true }, /legacy has no domains/],
    ['production', { revoke: false, reason: 'superseded' }, /--reason .* goes with --revoke/],
    ['production', { revoke: true, reason: 'boredom' }, /"boredom" is not a revocation reason/],
  ])('%s %j is bad input', (env, request, message) => {
    expect(() => plan(env, request)).toThrow(InputError);
    expect(() => plan(env, request)).toThrow(message);
  });
});

describe('certificates the control plane holds (several hosts, no edge)', () => {
  it('are those with tls.acme on several hosts and no edge', () => {
    expect(holdsSharedCertificate(envs.production!)).toBe(true);
    expect(holdsSharedCertificate(envs.fleet!)).toBe(false); // the edge's host obtains its own
    expect(holdsSharedCertificate(envs.files!)).toBe(false);
    expect(holdsSharedCertificate(envs.legacy!)).toBe(false);
  });

  it('--when-due and --revoke together are refused: one renews if due, the other replaces now', () => {
    expect(() => plan('production', { revoke: true, whenDue: true })).toThrow(InputError);
  });
});
