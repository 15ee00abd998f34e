import { describe, expect, it } from 'vitest';
import type { Plan, Stage } from '../plan/steps.js';
import type { AppliedMigration } from './app-database.js';
import { planDatabaseSteps, withDatabaseStages, type DatabaseStagesInput } from './plan-database-stages.js';
import { planMigration, type MigrationPlan } from './plan-migrations.js';

const noMigrations: MigrationPlan = { up: [], held: [], down: [], kept: [], irreversible: [], needsDown: [] };
const expandFile = planMigration({
  name: '0002_tag',
  upSql: 'ALTER TABLE t ADD COLUMN c text',
  downSql: null,
  checksum: 'x',
});
const contractFile = planMigration({
  name: '0003_drop',
  upSql: 'DROP TABLE t',
  downSql: null,
  checksum: 'y',
});
const applied = (name: string, phase: 'expand' | 'contract'): AppliedMigration => ({
  name,
  checksum: 'z',
  phase,
  release: '2.0.0',
  appliedAtMs: 0,
  downSql: 'SELECT 1',
});

function input(
  migrations: Partial<MigrationPlan>,
  overrides: Partial<DatabaseStagesInput> = {},
): DatabaseStagesInput {
  return {
    app: 'hello',
    environment: 'production',
    hosts: ['local'],
    release: { version: '2.0.0', artifact: '/a.tar.gz' },
    database: { kind: 'sqlite', where: '/db.sqlite', url: '/db.sqlite', urlSecret: null },
    dir: 'migrations',
    command: null,
    backup: { required: true, retain: 5 },
    migrations: { ...noMigrations, ...migrations },
    phase: 'expand',
    ...overrides,
  };
}

const stage = (
  name: string,
  kind: 'install-release' | 'start-target' | 'switch-traffic' | 'retire-target',
): Stage => ({
  name,
  steps: [{ kind, host: 'local' } as never],
});
const plan: Plan = {
  app: 'hello',
  environment: 'production',
  kind: 'deploy',
  strategy: 'blue-green',
  deploymentId: 'd1',
  release: { version: '2.0.0', sha256: 'abc' },
  previous: null,
  stages: [
    stage('prepare', 'install-release'),
    stage('start', 'start-target'),
    stage('switch', 'switch-traffic'),
    stage('keep warm', 'retire-target'),
  ],
  onFailure: [],
  rollback: null,
};
const names = (p: Plan): string[] => p.stages.map((s) => s.name);

describe('planDatabaseSteps and withDatabaseStages', () => {
  it('backs up, then migrates, before the first stage that starts a target', () => {
    const steps = planDatabaseSteps(input({ up: [expandFile], held: [contractFile] }));
    expect(names(withDatabaseStages(plan, steps))).toEqual([
      'prepare',
      'back up database',
      'migrate database',
      'start',
      'switch',
      'keep warm',
    ]);
  });

  it('adds nothing when there is nothing to run or hold, and only a migrate step when everything is held', () => {
    expect(withDatabaseStages(plan, planDatabaseSteps(input({})))).toBe(plan);
    expect(names(withDatabaseStages(plan, planDatabaseSteps(input({ held: [contractFile] }))))).toEqual([
      'prepare',
      'migrate database',
      'start',
      'switch',
      'keep warm',
    ]);
  });

  it('skips the backup only when the config says so', () => {
    const steps = planDatabaseSteps(input({ up: [expandFile] }, { backup: { required: false, retain: 5 } }));
    expect(steps.backup).toEqual([]);
    expect(steps.migrate).toHaveLength(1);
  });

  it('reverts expand migrations after the switch, contract ones before it', () => {
    const expandDown = planDatabaseSteps(input({ down: [applied('0002_tag', 'expand')] }));
    expect(names(withDatabaseStages(plan, expandDown)).slice(2)).toEqual([
      'switch',
      'back up database',
      'migrate database',
      'keep warm',
    ]);
    const contractDown = planDatabaseSteps(input({ down: [applied('0003_drop', 'contract')] }));
    expect(names(withDatabaseStages(plan, contractDown)).slice(0, 3)).toEqual([
      'prepare',
      'back up database',
      'migrate database',
    ]);
  });
});
