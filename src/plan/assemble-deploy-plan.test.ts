import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/parse-config.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { IrreversibleMigrationError } from '../migrate/plan-database-stages.js';
import { assembleDeployPlan, type LoadedDeploy } from './assemble-deploy-plan.js';
import { deployInput, releaseRuntime } from './test-fixtures.js';

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

function loaded(env: EnvironmentConfig, kind: 'deploy' | 'rollback' = 'deploy'): LoadedDeploy {
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

describe('assembleDeployPlan: one planner over loaded inputs', () => {
  it('composes approval, window, database (before the new release starts), the strategy with its bake, in the order they run', () => {
    const plan = assembleDeployPlan(loaded(environment(EVERYTHING)));
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
    expect(assembleDeployPlan(inputs)).toEqual(assembleDeployPlan(structuredClone(inputs)));
  });

  it('gives the strategy alone to an environment without gates or database', () => {
    expect(names(assembleDeployPlan(loaded(environment(''))))).toEqual([
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
    expect(() => assembleDeployPlan(inputs)).toThrow(IrreversibleMigrationError);
  });
});
