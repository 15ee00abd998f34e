import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/parse-config.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { IrreversibleMigrationError } from '../migrate/plan-database-stages.js';
import { planDeploy, type DeployGates, type DeployInput } from './plan-deploy.js';
import { ROLLING_ONE_BY_ONE, deployInput, releaseRuntime, servingHost } from './test-fixtures.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

function environment(extra: string): EnvironmentConfig {
  const parsed = parseConfig(
    `app: hello\nrun: { command: node server.js }\nteam: { ann: { roles: [approver] } }\nenvironments:\n  production:\n    publicPort: 8420\n${extra}`,
    'slipway.yml',
  );
  if (!('config' in parsed)) throw new Error(JSON.stringify(parsed.issues));
  const env = parsed.config.environments.production;
  if (!env) throw new Error('no production');
  return env;
}

const EVERYTHING =
  '    approvals: { required: [{ role: approver, count: 1 }] }\n' +
  '    windows: [{ cron: "* 9-16 * * 1-5", timezone: Europe/Berlin }]\n' +
  '    bake: { duration: 10m }\n' +
  '    database: { url: data/app.db }\n';

interface Loaded extends DeployGates {
  deploy: DeployInput;
}

function loaded(env: EnvironmentConfig, kind: 'deploy' | 'rollback' = 'deploy'): Loaded {
  const release = releaseRuntime('2.0.0');
  return {
    deploy: deployInput({
      kind,
      nowMs: NOW,
      release,
      approval: env.approvals ?? null,
    }),
    env,
    pipeline: { notBeforeMs: null, freezeOverridden: false },
    database: {
      input: {
        app: 'hello',
        environment: 'production',
        env,
        projectDir: '/app',
        release,
        mode: kind,
        runDown: false,
      },
      loaded: env.database
        ? {
            database: { kind: 'sqlite', where: '/app/data/app.db', url: '/app/data/app.db', urlSecret: null },
            migrations: {
              files: [
                {
                  name: '001_users.sql',
                  upSql: 'CREATE TABLE users (id INTEGER);',
                  downSql: null,
                  checksum: 'c1',
                },
              ],
              applied: [],
            },
          }
        : null,
    },
  };
}

const names = (p: { stages: { name: string }[] }) => p.stages.map((s) => s.name);
const planOf = (inputs: Loaded) => planDeploy(inputs.deploy, inputs);

describe('planDeploy: one planner over loaded inputs', () => {
  it('composes approval, window, database (before the new release starts), the strategy with its bake, in the order they run', () => {
    const plan = planOf(loaded(environment(EVERYTHING)));
    expect(names(plan)).toEqual([
      'approval',
      'await window',
      'prepare',
      'back up database',
      'migrate database',
      'start',
      'verify',
      'switch',
      'bake',
      'keep warm',
      'clean up',
    ]);
  });

  it('is pure: the same inputs give the same plan', () => {
    const inputs = loaded(environment(EVERYTHING));
    expect(planOf(inputs)).toEqual(planOf(structuredClone(inputs)));
  });

  it('gives the strategy alone to an environment without gates or database', () => {
    expect(names(planOf(loaded(environment(''))))).toEqual([
      'prepare',
      'start',
      'verify',
      'switch',
      'keep warm',
      'clean up',
    ]);
  });

  it('refuses, before anything runs, to go back across an irreversible contract migration', () => {
    const inputs = loaded(environment('    database: { url: data/app.db }\n'), 'rollback');
    inputs.database.loaded = {
      database: { kind: 'sqlite', where: '/app/data/app.db', url: '/app/data/app.db', urlSecret: null },
      migrations: {
        files: [],
        applied: [
          {
            name: '002_drop.sql',
            checksum: 'c2',
            phase: 'contract',
            release: '3.0.0',
            appliedAtMs: NOW,
            downSql: null,
          },
        ],
      },
    };
    expect(() => planOf(inputs)).toThrow(IrreversibleMigrationError);
  });

  it('gives a rollback no approval, window, bake or verification, and reverts expand migrations after the switch', () => {
    const inputs = loaded(environment(EVERYTHING), 'rollback');
    inputs.database.input.runDown = true;
    inputs.database.loaded = {
      database: { kind: 'sqlite', where: '/app/data/app.db', url: '/app/data/app.db', urlSecret: null },
      migrations: {
        files: [],
        applied: [
          {
            name: '002_tag.sql',
            checksum: 'c2',
            phase: 'expand',
            release: '3.0.0',
            appliedAtMs: NOW,
            downSql: 'ALTER TABLE users DROP COLUMN tag;',
          },
        ],
      },
    };
    expect(names(planOf(inputs))).toEqual([
      'prepare',
      'start',
      'verify',
      'switch',
      'back up database',
      'migrate database',
      'keep warm',
      'clean up',
    ]);
  });

  it('migrates before recreate stops the old release', () => {
    const inputs = loaded(environment('    database: { url: data/app.db }\n'));
    inputs.deploy.strategy = { kind: 'recreate', drainTimeoutMs: 10_000 };
    expect(names(planOf(inputs))).toEqual([
      'prepare',
      'back up database',
      'migrate database',
      'stop old',
      'start',
      'verify',
      'switch',
      'clean up',
    ]);
  });

  it('migrates before a rolling update takes the first batch out of its edge, and bakes once every batch is back', () => {
    const inputs = loaded(environment('    bake: { duration: 10m }\n    database: { url: data/app.db }\n'));
    const hosts = ['web1', 'web2'];
    inputs.deploy = {
      ...inputs.deploy,
      hosts,
      edge: {
        host: 'local',
        publicPort: 80,
        bindAddress: '0.0.0.0',
        upstreams: hosts.map((h, i) => ({ id: h, address: `10.0.0.${i + 10}`, port: 8420 })),
      },
      strategy: ROLLING_ONE_BY_ONE,
      observed: hosts.map((host) => servingHost(host, '1.0.0', `hello-1.0.0-${host}`)),
    };
    const plan = planOf(inputs);
    const batch = (b: number) =>
      ['out of the edge', 'start', 'verify', 'switch', 'keep old warm', 'back in the edge'].map(
        (stage) => `batch ${b}/2: ${stage}`,
      );
    expect(names(plan)).toEqual([
      'prepare',
      'back up database',
      'migrate database',
      ...batch(1),
      ...batch(2),
      'bake',
      'clean up',
    ]);
    // The edge is made to balance in the first stage, before anything else.
    expect(plan.stages[0]?.steps[0]?.kind).toBe('ensure-edge');
    const bake = plan.stages.find((s) => s.name === 'bake')?.steps[0];
    expect(bake?.kind === 'bake' ? bake.targets.map((t) => t.host) : []).toEqual(hosts);
  });
});
