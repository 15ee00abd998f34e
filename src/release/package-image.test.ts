import { describe, expect, it } from 'vitest';
import { runtimeSchema, type DockerRuntimeConfig } from '../config/runtime-schema.js';
import { deriveImageRef } from './build-image.js';
import { deriveBuildSocket } from './package-image.js';

const docker = (extra: Record<string, unknown> = {}): DockerRuntimeConfig =>
  runtimeSchema.parse({ kind: 'docker', ...extra }) as DockerRuntimeConfig;

describe('deriveBuildSocket', () => {
  it('prefers runtime.buildSocket, then a unix DOCKER_HOST, then the hosts socket', () => {
    expect(deriveBuildSocket(docker({ buildSocket: '/b.sock' }), 'unix:///d.sock')).toBe('/b.sock');
    expect(deriveBuildSocket(docker(), 'unix:///d.sock')).toBe('/d.sock');
    expect(deriveBuildSocket(docker(), 'tcp://10.0.0.1:2375')).toBe('/var/run/docker.sock');
    expect(deriveBuildSocket(docker(), undefined)).toBe('/var/run/docker.sock');
  });
});

describe('deriveImageRef', () => {
  it('tags locally as slipway/<app>:<version>', () => {
    expect(deriveImageRef('shop', '1.2.0')).toBe('slipway/shop:1.2.0');
  });
});
