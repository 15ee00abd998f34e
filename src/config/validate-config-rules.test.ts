import { describe, expect, it } from 'vitest';
import { configSchema, type SlipwayConfig } from './schema.js';
import { validateConfigRules } from './validate-config-rules.js';

/** A schema-valid config (defaults filled in) from the keys a case cares about. */
function config(overrides: Record<string, unknown>): SlipwayConfig {
  return configSchema.parse({
    app: 'shop',
    run: { command: 'node server.js' },
    environments: { production: { publicPort: 8080 } },
    ...overrides,
  });
}

describe('validateConfigRules', () => {
  it('refuses run.instances above 1 with a canary, naming the environment and the fix', () => {
    const canary = { kind: 'canary', steps: [{ setWeight: 10 }] };
    const issues = validateConfigRules(
      config({
        run: { command: 'node server.js', instances: 3 },
        environments: { production: { publicPort: 8080, strategy: canary }, staging: { publicPort: 8081 } },
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([['environments', 'production', 'strategy', 'kind']]);
    expect(issues[0]?.message).toMatch(/run\.instances is 3.*blue-green or rolling.*production/);
    const one = config({ environments: { production: { publicPort: 8080, strategy: canary } } });
    expect(validateConfigRules(one)).toEqual([]);
  });

  it.each([0, 65, 1.5])('the schema refuses run.instances %s (1..64)', (instances) => {
    expect(() => config({ run: { command: 'node server.js', instances } })).toThrow();
  });

  it('finds nothing in a config that follows every rule', () => {
    const ok = config({
      env: { LOG_LEVEL: 'info' },
      secrets: ['DATABASE_URL'],
      healthCheck: { timeout: '30s', startTimeout: '30s' },
      environments: {
        staging: { publicPort: 8081, secrets: ['STRIPE_KEY'], env: { LOG_LEVEL: 'debug' } },
        production: { publicPort: 8080 },
      },
    });
    expect(validateConfigRules(ok)).toEqual([]);
  });

  it('reports each environment that reuses a port already taken on its host, naming the owner', () => {
    const issues = validateConfigRules(
      config({
        environments: {
          a: { publicPort: 80 },
          b: { publicPort: 80 },
          c: { publicPort: 80 },
          d: { publicPort: 81 },
        },
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      ['environments', 'b', 'publicPort'],
      ['environments', 'c', 'publicPort'],
    ]);
    expect(issues.every((i) => i.message.includes('environment "a" on host "local"'))).toBe(true);
  });

  it.each([
    { timeout: '31s', startTimeout: '30s', clash: true },
    { timeout: '1m', startTimeout: '59s', clash: true },
    { timeout: '30s', startTimeout: '30s', clash: false },
    { timeout: '500ms', startTimeout: '1s', clash: false },
  ])(
    'healthCheck.timeout $timeout against startTimeout $startTimeout → issue: $clash',
    ({ timeout, startTimeout, clash }) => {
      const issues = validateConfigRules(config({ healthCheck: { timeout, startTimeout } }));
      expect(issues.map((i) => i.path)).toEqual(clash ? [['healthCheck', 'timeout']] : []);
    },
  );

  it('reports a secret that is also a plain variable, wherever the two are declared', () => {
    const issues = validateConfigRules(
      config({
        secrets: ['APP_SECRET'],
        env: { APP_SECRET: 'x', SHARED: 'y' },
        environments: {
          production: { publicPort: 8080, env: { APP_SECRET: 'z' } },
          staging: { publicPort: 8081, secrets: ['SHARED', 'OWN'], env: { OWN: '1' } },
        },
      }),
    );
    expect(issues.map((i) => ({ path: i.path, at: i.at }))).toEqual([
      { path: ['env', 'APP_SECRET'], at: 'key' },
      { path: ['environments', 'production', 'env', 'APP_SECRET'], at: 'key' },
      { path: ['environments', 'staging', 'env', 'OWN'], at: 'key' },
      { path: ['environments', 'staging', 'secrets', 0], at: 'value' },
    ]);
    expect(issues[3]?.message).toMatch(
      /^"SHARED" is listed in environments\.staging\.secrets and also set in env;/,
    );
  });

  it('does not mistake inherited object properties for env keys', () => {
    const issues = validateConfigRules(
      config({ environments: { production: { publicPort: 8080, secrets: ['constructor', 'toString'] } } }),
    );
    expect(issues).toEqual([]);
  });

  it('reports a secret source for a name that is no secret of its environment, with the closest name', () => {
    const issues = validateConfigRules(
      config({
        secrets: ['DATABASE_URL'],
        environments: {
          production: {
            publicPort: 8080,
            secrets: ['STRIPE_KEY'],
            secretSources: {
              DATABASE_URL: { command: 'vault kv get -field=url secret/shop' },
              STRIPE_KEY: { command: ['op', 'read', 'op://shop/stripe/key'] },
              DATABASE_ULR: { command: 'true' },
            },
          },
          staging: { publicPort: 8081, secretSources: { STRIPE_KEY: { command: 'true' } } },
        },
      }),
    );
    expect(issues.map((i) => [i.path, i.at])).toEqual([
      [['environments', 'production', 'secretSources', 'DATABASE_ULR'], 'key'],
      [['environments', 'staging', 'secretSources', 'STRIPE_KEY'], 'key'],
    ]);
    expect(issues[0]?.message).toMatch(/not a secret of this environment.*did you mean "DATABASE_URL"/);
  });
});

describe('shared', () => {
  it('is refused for containers, which have no release directory to link into', () => {
    const docker = config({ shared: ['storage'], runtime: { kind: 'docker' } });
    expect(validateConfigRules(docker)).toEqual([
      expect.objectContaining({
        path: ['shared'],
        message: expect.stringContaining('runtime: docker') as unknown,
      }),
    ]);
    expect(validateConfigRules(config({ shared: ['storage'] }))).toEqual([]);
  });
});

describe('hooks', () => {
  it('reports a hook for an environment that is not defined, with the closest name', () => {
    const issues = validateConfigRules(
      config({
        hooks: {
          afterSwitch: [
            { command: './notify.sh', environments: ['production'] },
            { command: './smoke.sh', environments: ['prodution'] },
          ],
        },
      }),
    );
    expect(issues).toEqual([
      {
        path: ['hooks', 'afterSwitch', 1, 'environments', 0],
        at: 'value',
        message:
          'hooks.afterSwitch[1] names an environment that is not defined: prodution (did you mean production?)',
      },
    ]);
  });
});

describe('secretSources in the schema', () => {
  it('fills in the timeout and refuses an empty command, an empty argv and a NUL byte', () => {
    const parsed = config({
      secrets: ['A'],
      environments: { production: { publicPort: 8080, secretSources: { A: { command: 'op read x' } } } },
    });
    expect(parsed.environments.production?.secretSources).toEqual({
      A: { command: 'op read x', timeout: '30s' },
    });
    for (const command of ['', [], [''], 'a\u0000b']) {
      const result = configSchema.safeParse({
        app: 'shop',
        run: { command: 'node server.js' },
        secrets: ['A'],
        environments: { production: { publicPort: 8080, secretSources: { A: { command } } } },
      });
      expect(result.success, JSON.stringify(command)).toBe(false);
    }
  });
});

describe('rules with SSH hosts', () => {
  it('compares hosts by name: two SSH hosts of one environment do not clash with each other', async () => {
    const { parseConfig } = await import('./parse-config.js');
    const text = [
      'app: shop',
      'run: { command: node server.js }',
      'environments:',
      '  production:',
      '    publicPort: 8080',
      '    hosts:',
      '      - { name: web1, address: 10.0.0.1 }',
      '      - { name: web2, address: 10.0.0.2 }',
      '  staging:',
      '    publicPort: 8080',
      '    hosts:',
      '      - { name: web2, address: 10.0.0.2 }',
    ].join('\n');
    const result = parseConfig(text, 'slipway.yml');
    expect('issues' in result ? result.issues.map((i) => i.message) : []).toEqual([
      'publicPort 8080 is also the publicPort of environment "production" on host "web2"; give each environment on a host its own port',
    ]);
  });
  it('reports approvals that the team cannot give, counting only roles scoped to the environment', () => {
    const issues = validateConfigRules(
      config({
        team: {
          bob: { roles: ['approver'] },
          erin: { roles: ['approver', 'admin'], environments: ['staging'] },
        },
        environments: {
          staging: { publicPort: 8081, approvals: { required: [{ role: 'admin' }] } },
          production: {
            publicPort: 8080,
            approvals: { required: [{ role: 'approver', count: 2 }, { role: 'admin' }] },
          },
        },
      }),
    );
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      [
        'environments.production.approvals.required.0.role',
        '2 approver approvals needed, but only 1 in team: has the role approver for production',
      ],
      [
        'environments.production.approvals.required.1.role',
        '1 admin approval needed, but no one in team: has the role admin for production',
      ],
    ]);
  });
});
