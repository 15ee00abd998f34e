import { describe, expect, it } from 'vitest';
import { deriveRegistryDigestRef, deriveRegistryTag, resolveRegistry } from './registry-values.js';
import { runtimeSchema } from './runtime-schema.js';

const paths = (input: unknown): string[] =>
  runtimeSchema.safeParse({ kind: 'docker', registry: input }).error?.issues.map((i) => i.path.join('.')) ??
  [];

describe('runtime.registry', () => {
  it('accepts the string form and the object form', () => {
    expect(paths('registry.example.com:5000/team')).toEqual([]);
    expect(paths({ server: 'registry.example.com:5000' })).toEqual([]);
    expect(
      paths({
        server: '10.0.0.1:5000',
        repository: 'team/app',
        username: 'ci',
        passwordSecret: 'REG_PW',
        ca: 'ca.pem',
      }),
    ).toEqual([]);
  });

  it('refuses a login without its password secret, a URL as server, a password given in clear', () => {
    expect(paths({ server: 'r.example.com', username: 'ci' })).toEqual(['registry']);
    expect(paths({ server: 'https://r.example.com' })).not.toEqual([]);
    expect(paths({ server: 'r.example.com', username: 'ci', password: 'hunter2' })).not.toEqual([]);
    expect(paths({ server: 'r.example.com', username: 'ci', passwordSecret: 'not a name' })).not.toEqual([]);
  });
});

describe('resolveRegistry', () => {
  it('reads the string form as a registry without a login, the repository under its path', () => {
    expect(resolveRegistry('shop', 'registry.example.com/team/')).toEqual({
      server: 'registry.example.com',
      repository: 'team/shop',
      login: null,
      ca: null,
    });
    expect(resolveRegistry('shop', 'localhost:5000')?.repository).toBe('shop');
    expect(resolveRegistry('shop', 'team')).toMatchObject({ server: 'docker.io', repository: 'team/shop' });
    expect(resolveRegistry('shop', undefined)).toBeNull();
  });

  it('takes the object form with its login, the repository defaulting to the app', () => {
    const r = resolveRegistry('shop', {
      server: '10.0.0.1:5000',
      username: 'ci',
      passwordSecret: 'REG_PW',
      ca: 'ca.pem',
    });
    expect(r).toEqual({
      server: '10.0.0.1:5000',
      repository: 'shop',
      login: { username: 'ci', passwordSecret: 'REG_PW' },
      ca: 'ca.pem',
    });
    if (!r) throw new Error('no registry');
    expect(deriveRegistryTag(r, '1.0.0')).toBe('10.0.0.1:5000/shop:1.0.0');
    expect(deriveRegistryDigestRef(r, 'sha256:abc')).toBe('10.0.0.1:5000/shop@sha256:abc');
  });
});
