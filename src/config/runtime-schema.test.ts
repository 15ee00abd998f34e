import { describe, expect, it } from 'vitest';
import { parseByteSize } from './config-values.js';
import { runtimeSchema } from './runtime-schema.js';

describe('runtimeSchema', () => {
  it('is a process runtime when left out', () => {
    expect(runtimeSchema.parse(undefined)).toEqual({ kind: 'process' });
  });

  it('fills the docker defaults and keeps the limits', () => {
    expect(runtimeSchema.parse({ kind: 'docker', memory: '256m', cpus: 1.5 })).toEqual({
      kind: 'docker',
      dockerfile: 'Dockerfile',
      socket: '/var/run/docker.sock',
      memory: '256m',
      cpus: 1.5,
      volumes: {},
    });
  });

  it.each([
    [{ storage: '/app/storage', cache: '/var/cache/app' }, []],
    [{ storage: 'storage' }, ['volumes.storage']],
    [{ storage: '/' }, ['volumes.storage']],
    [{ storage: '/app/../etc' }, ['volumes.storage']],
    [{ storage: '/app/storage/' }, ['volumes.storage']],
    [{ 'my volume': '/data' }, ['volumes.my volume']],
    [{ a: '/data', b: '/data' }, ['volumes']],
    [{ a: '/data', b: '/data/inner' }, ['volumes']],
    [{ a: '/data', b: '/database' }, []],
  ])('volumes %j: issues at %j', (volumes, paths) => {
    const result = runtimeSchema.safeParse({ kind: 'docker', volumes });
    expect(result.error?.issues.map((i) => i.path.join('.')) ?? []).toEqual(paths);
  });

  it('refuses a memory limit that is not a size, a relative socket and a key of the other kind', () => {
    const paths = (input: unknown): string[] =>
      runtimeSchema.safeParse(input).error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(paths({ kind: 'docker', memory: 'lots' })).toEqual(['memory']);
    expect(paths({ kind: 'docker', socket: 'docker.sock' })).toEqual(['socket']);
    expect(paths({ kind: 'process', memory: '256m' })).toEqual(['']);
  });
});

describe('parseByteSize', () => {
  it.each([
    ['256m', 256 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5G', 1.5 * 1024 ** 3],
    ['512k', 512 * 1024],
    ['1048576', 1024 ** 2],
    ['lots', undefined],
    ['-1m', undefined],
  ])('%s → %s', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });
});
