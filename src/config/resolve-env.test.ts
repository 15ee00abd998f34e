import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../core/errors.js';
import { resolveTargetEnv } from './resolve-env.js';
import { configSchema, type SlipwayConfig } from './schema.js';

const config: SlipwayConfig = configSchema.parse({
  app: 'shop',
  run: { command: 'node server.js' },
  env: { LOG_LEVEL: 'info', REGION: 'eu' },
  secrets: ['DATABASE_URL', 'SESSION_KEY'],
  environments: {
    production: {
      publicPort: 8080,
      env: { LOG_LEVEL: 'warn', WORKERS: 4 },
      secrets: ['STRIPE_KEY', 'DATABASE_URL'],
    },
    staging: { publicPort: 8081 },
  },
});

describe('resolveTargetEnv', () => {
  it('overlays the environment env on the app env', () => {
    const { env } = resolveTargetEnv(config, 'production', {});
    expect(env).toEqual({ LOG_LEVEL: 'warn', REGION: 'eu', WORKERS: '4' });
    expect(resolveTargetEnv(config, 'staging', {}).env).toEqual({ LOG_LEVEL: 'info', REGION: 'eu' });
  });

  it('looks secrets up as SLIPWAY_SECRET_<NAME> first, then <NAME>, app names first and each once', () => {
    const { secrets, missing } = resolveTargetEnv(config, 'production', {
      SLIPWAY_SECRET_DATABASE_URL: 'postgres://prefixed',
      DATABASE_URL: 'postgres://bare',
      SESSION_KEY: 'bare-session',
      SLIPWAY_SECRET_STRIPE_KEY: '',
    });
    expect(secrets.map((s) => [s.name, s.reveal()])).toEqual([
      ['DATABASE_URL', 'postgres://prefixed'],
      ['SESSION_KEY', 'bare-session'],
      ['STRIPE_KEY', ''],
    ]);
    expect(missing).toEqual([]);
  });

  it('lists the secrets it cannot find instead of throwing', () => {
    const { secrets, missing } = resolveTargetEnv(config, 'production', {
      SESSION_KEY: 's',
      DATABASE_URL: undefined,
    });
    expect(secrets.map((s) => s.name)).toEqual(['SESSION_KEY']);
    expect(missing).toEqual(['DATABASE_URL', 'STRIPE_KEY']);
  });

  it('keeps secret values out of JSON and string output', () => {
    const { secrets } = resolveTargetEnv(config, 'staging', {
      DATABASE_URL: 'hunter22',
      SESSION_KEY: 'hunter33',
    });
    expect(JSON.stringify(secrets)).not.toContain('hunter');
    expect(secrets.join(',')).not.toContain('hunter');
  });

  it('does not read inherited properties of the source as secrets', () => {
    const cfg = configSchema.parse({
      app: 'a',
      run: { command: 'x' },
      secrets: ['constructor'],
      environments: { p: { publicPort: 1 } },
    });
    expect(resolveTargetEnv(cfg, 'p', {}).missing).toEqual(['constructor']);
  });

  it('throws NotFoundError for an unknown environment, suggesting the closest name', () => {
    const error = thrownBy(() => resolveTargetEnv(config, 'prodution', {}));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).message).toBe('no environment named "prodution" in slipway.yml');
    expect((error as NotFoundError).hint).toBe(
      'did you mean "production"? (environments: production, staging)',
    );
  });
});

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
