import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import { parseConfig } from '../config/parse-config.js';
import type { SlipwayConfig } from '../config/schema.js';
import type { CheckRow } from '../hosts/check-host.js';
import type { Host } from '../hosts/host.js';
import { registryPasswordLoader } from '../operations/release.js';
import { checkRegistryLogins } from './registry-preflight.js';

const config = (registry: string): SlipwayConfig => {
  const parsed = parseConfig(
    `app: shop
run: { command: node server.js }
runtime:
  kind: docker
  registry: ${registry}
environments:
  staging: { hosts: [local], publicPort: 8080 }
  production: { hosts: [local], publicPort: 8081 }
`,
    'slipway.yml',
  );
  if (!('config' in parsed)) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
};
const withLogin = config('{ server: "r.example.com:5000", username: ci, passwordSecret: REG_PW }');

/** A host whose agent answers checkRegistryLogin as `answer` says, recording what it was sent. */
function fakeHost(answer: (params: unknown) => unknown, sent: unknown[]): Host {
  const agent = {
    call: (method: string, params: unknown) => {
      sent.push({ method, params });
      try {
        return Promise.resolve(answer(params));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
  return { agent: () => Promise.resolve(agent) } as unknown as Host;
}
const running: CheckRow = { check: 'agent', status: 'ok', detail: '0.1.0 running (pid 42)' };

describe('checkRegistryLogins', () => {
  it("logs in from each host whose agent runs, with the environment's password; others are not checked", async () => {
    const sent: unknown[] = [];
    const hosts = new Map([
      ['a', fakeHost(() => ({ ok: true }), sent)],
      ['b', fakeHost(() => ({ ok: true }), sent)],
    ]);
    const rows = await checkRegistryLogins(
      {
        config: withLogin,
        hosts,
        loadSecrets: (env, names) =>
          Promise.resolve(new Map(names.map((n) => [n, new Secret(n, `pw-of-${env}`)] as const))),
      },
      'production',
      [
        { host: 'a', rows: [running] },
        { host: 'b', rows: [{ check: 'agent', status: 'warn', detail: 'installed but not running' }] },
      ],
    );
    expect(rows.map((r) => r.rows.at(-1))).toEqual([
      { check: 'registry', status: 'ok', detail: 'ci logs in to r.example.com:5000' },
      expect.objectContaining({ check: 'registry', status: 'warn' }),
    ]);
    expect(sent).toEqual([
      {
        method: 'checkRegistryLogin',
        params: {
          socket: '/var/run/docker.sock',
          credentials: { server: 'r.example.com:5000', username: 'ci', password: 'pw-of-production' },
        },
      },
    ]);
  });

  it("fails a refused login with the agent's (redacted) error and its hint, and a missing password on every host", async () => {
    const refusing = fakeHost(() => {
      throw new SlipwayError('registry r.example.com:5000 refused user ci (log in from this host)', {
        hint: 'check the password',
      });
    }, []);
    const refused = await checkRegistryLogins(
      {
        config: withLogin,
        hosts: new Map([['a', refusing]]),
        loadSecrets: (_env, names) =>
          Promise.resolve(new Map(names.map((n) => [n, new Secret(n, 'x')] as const))),
      },
      'production',
      [{ host: 'a', rows: [running] }],
    );
    expect(refused[0]?.rows.at(-1)).toEqual({
      check: 'registry',
      status: 'fail',
      detail: 'registry r.example.com:5000 refused user ci (log in from this host)',
      hint: 'check the password',
    });
    const missing = await checkRegistryLogins(
      { config: withLogin, hosts: new Map(), loadSecrets: () => Promise.resolve(new Map()) },
      'production',
      [{ host: 'a', rows: [running] }],
    );
    expect(missing[0]?.rows.at(-1)).toMatchObject({
      status: 'fail',
      detail: 'the password secret REG_PW has no value',
    });
  });

  it('adds nothing for a registry without a login', async () => {
    const results = [{ host: 'a', rows: [running] }];
    expect(
      await checkRegistryLogins(
        {
          config: config('r.example.com/team'),
          hosts: new Map(),
          loadSecrets: () => Promise.resolve(new Map()),
        },
        'production',
        results,
      ),
    ).toBe(results);
  });
});

describe('registryPasswordLoader', () => {
  it('looks the password up in --environment, else in the first environment; an unknown one is refused', async () => {
    const asked: string[] = [];
    const project = {
      config: withLogin,
      loadSecrets: (env: string, names: readonly string[]) => {
        asked.push(env);
        return Promise.resolve(new Map(names.map((n) => [n, new Secret(n, 'pw')] as const)));
      },
    };
    await registryPasswordLoader(project)('REG_PW');
    await registryPasswordLoader(project, 'production')('REG_PW');
    expect(asked).toEqual(['staging', 'production']);
    expect(() => registryPasswordLoader(project, 'prod')).toThrow('there is no environment named prod');
  });
});
