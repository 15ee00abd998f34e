import { describe, expect, it } from 'vitest';
import { Secret } from '../core/secret.js';
import { runtimeSchema } from '../config/runtime-schema.js';
import type { ReleaseRuntime } from '../plan/plan-input.js';
import { registryCredentialsOf, withCurrentRegistryLogin } from './registry-check.js';

const release = (login?: { server: string; username: string; passwordSecret: string }): ReleaseRuntime =>
  ({
    version: '1.0.0',
    container: {
      image: 'sha256:1',
      ref: `r.example.com:5000/shop@sha256:${'c'.repeat(64)}`,
      pull: true,
      socket: '/var/run/docker.sock',
      memoryBytes: null,
      cpus: null,
      ...(login ? { login } : {}),
    },
  }) as ReleaseRuntime;
const config = (registry: unknown) => ({
  app: 'shop',
  runtime: runtimeSchema.parse({ kind: 'docker', registry }),
});
const recorded = { server: 'r.example.com:5000', username: 'old-bot', passwordSecret: 'OLD_PW' };

describe('withCurrentRegistryLogin', () => {
  it("takes slipway.yml's login for the release's registry", () => {
    const now = config({ server: 'r.example.com:5000', username: 'new-bot', passwordSecret: 'NEW_PW' });
    expect(withCurrentRegistryLogin(release(recorded), now).container?.login).toEqual({
      server: 'r.example.com:5000',
      username: 'new-bot',
      passwordSecret: 'NEW_PW',
    });
  });

  it("keeps the recorded login when slipway.yml names another registry, and drops it when the registry's is gone", () => {
    expect(
      withCurrentRegistryLogin(release(recorded), config('other.example.com/team')).container?.login,
    ).toEqual(recorded);
    expect(
      withCurrentRegistryLogin(release(recorded), config({ server: 'r.example.com:5000' })).container?.login,
    ).toBeUndefined();
  });
});

describe('registryCredentialsOf', () => {
  it("reveals the login's password from the deployment's secrets, and says which secret is missing", () => {
    const secrets = new Map([['OLD_PW', new Secret('OLD_PW', 'pw-1')]]);
    expect(registryCredentialsOf(recorded, secrets)).toEqual({
      server: 'r.example.com:5000',
      username: 'old-bot',
      password: 'pw-1',
    });
    expect(registryCredentialsOf(undefined, secrets)).toBeUndefined();
    expect(() => registryCredentialsOf({ ...recorded, passwordSecret: 'NOPE' }, secrets)).toThrow(
      'the registry password (secret NOPE) has no value',
    );
  });
});
