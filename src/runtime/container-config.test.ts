import { describe, expect, it } from 'vitest';
import type { TargetSpec } from '../agent/protocol.js';
import { deriveContainerConfig, deriveContainerName, deriveVolumeName } from './container-config.js';

const spec: TargetSpec = {
  id: 'shop-1.2+b-abc123',
  app: 'shop',
  release: '1.2+b',
  command: 'node server.js',
  env: { GREETING: 'hi' },
  secretEnv: { TOKEN: 's3cret' },
  stopTimeoutMs: 2500,
  healthCheck: {
    path: '/healthz',
    intervalMs: 1000,
    timeoutMs: 1000,
    healthyThreshold: 1,
    unhealthyThreshold: 1,
  },
  restart: { initialBackoffMs: 100, maxBackoffMs: 1000 },
};
const container = {
  image: 'sha256:abc',
  socket: '/run/docker.sock',
  environment: 'production',
  memoryBytes: 268435456,
  cpus: 0.5,
};

describe('deriveContainerConfig', () => {
  it('publishes the port on loopback only, labels the container and applies the limits', () => {
    const config = deriveContainerConfig(spec, container, 41000);
    expect(config.HostConfig?.PortBindings).toEqual({
      '41000/tcp': [{ HostIp: '127.0.0.1', HostPort: '41000' }],
    });
    expect(config.Labels).toEqual({
      'dev.slipway.app': 'shop',
      'dev.slipway.release': '1.2+b',
      'dev.slipway.environment': 'production',
      'dev.slipway.target': 'shop-1.2+b-abc123',
    });
    expect(config.HostConfig).toMatchObject({ Memory: 268435456, NanoCpus: 500_000_000, Init: true });
    expect(config.HostConfig?.RestartPolicy).toEqual({ Name: 'no' });
    expect(config.StopTimeout).toBe(3);
    expect(config.Cmd).toEqual(['/bin/sh', '-c', 'node server.js']);
    expect(config.Env).toEqual(
      expect.arrayContaining(['GREETING=hi', 'TOKEN=s3cret', 'PORT=41000', 'SLIPWAY_RELEASE=1.2+b']),
    );
  });

  it('leaves limits out when none are configured, and names the container from the target id', () => {
    const config = deriveContainerConfig(spec, { ...container, memoryBytes: null, cpus: null }, 41000);
    expect(config.HostConfig).not.toHaveProperty('Memory');
    expect(config.HostConfig).not.toHaveProperty('NanoCpus');
    expect(deriveContainerName(spec.id)).toBe('slipway-shop-1.2_b-abc123');
  });
});

describe('named volumes', () => {
  it('mounts each volume of the environment under a name of its app and environment', () => {
    const config = deriveContainerConfig(
      spec,
      { ...container, volumes: { storage: '/app/storage', 'cache.v2': '/var/cache' } },
      41000,
    );
    expect(config.HostConfig?.Mounts).toEqual([
      { Type: 'volume', Source: 'slipway_shop_production_storage', Target: '/app/storage' },
      { Type: 'volume', Source: 'slipway_shop_production_cache.v2', Target: '/var/cache' },
    ]);
  });

  it('mounts nothing without volumes', () => {
    expect(deriveContainerConfig(spec, container, 41000).HostConfig?.Mounts).toBeUndefined();
  });

  it.each([
    ['shop', 'production', 'data', 'slipway_shop_production_data'],
    ['shop', 'staging', 'data', 'slipway_shop_staging_data'],
    ['my app', 'prod/eu', 'data', 'slipway_my_app_prod_eu_data'],
  ])('%s %s %s → %s', (app, environment, name, volume) => {
    expect(deriveVolumeName(app, environment, name)).toBe(volume);
  });
});
