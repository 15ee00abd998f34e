import { describe, expect, it } from 'vitest';
import { classifyRegistryError, describeRegistryError } from './registry-errors.js';
import { parseBearerChallenge, registryApiHost } from './registry-client.js';

describe('classifyRegistryError', () => {
  it.each([
    ['unauthorized: authentication required', 'unauthorized'],
    [
      '(HTTP code 500) server error - Head "https://r:5000/v2/a/manifests/x": no basic auth credentials',
      'unauthorized',
    ],
    ['denied: requested access to the resource is denied', 'unauthorized'],
    [
      'Get "https://r:5000/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      'untrusted',
    ],
    ['manifest unknown: manifest unknown', 'missing'],
    ['dial tcp 10.0.0.1:5000: connect: connection refused', 'other'],
  ])('%s → %s', (text, kind) => {
    expect(classifyRegistryError(text)).toBe(kind);
  });
});

describe('describeRegistryError', () => {
  it('names the registry and the user, never the password', () => {
    const err = describeRegistryError(
      { doing: 'push r:5000/a:1', server: 'r:5000', username: 'ci', secrets: ['s3cret-pw'] },
      'unauthorized: login with s3cret-pw failed',
    );
    expect(err.message).toContain('registry r:5000 refused user ci (push r:5000/a:1)');
    expect(err.message).not.toContain('s3cret-pw');
    expect(err.hint).toContain('passwordSecret');
  });

  it('says where a private CA goes on an engine host', () => {
    const err = describeRegistryError(
      { doing: 'pull', server: 'r:5000', username: null, secrets: [] },
      'x509: certificate signed by unknown authority',
    );
    expect(err.hint).toContain('/etc/docker/certs.d/r:5000/ca.crt');
  });
});

describe('parseBearerChallenge', () => {
  it('reads a token service challenge and leaves a basic one', () => {
    expect(
      parseBearerChallenge(
        'Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a:pull"',
      ),
    ).toEqual({
      realm: 'https://auth.example.com/token',
      params: { service: 'registry', scope: 'repository:a:pull' },
    });
    expect(parseBearerChallenge('Basic realm="Registry"')).toBeNull();
    expect(parseBearerChallenge(undefined)).toBeNull();
  });
});

describe('registryApiHost', () => {
  it("asks Docker Hub's API for docker.io images, any other registry at its own name", () => {
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('10.0.0.1:5000')).toBe('10.0.0.1:5000');
  });
});
