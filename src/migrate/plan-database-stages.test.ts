import { describe, expect, it } from 'vitest';
import type { Stage } from '../plan/steps.js';
import type { AppliedMigration } from './app-database.js';
import { placeDatabaseSteps, planDatabaseSteps, type DatabaseStagesInput } from './plan-database-stages.js';
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

const names = (stages: Stage[]): string[] => stages.map((s) => s.name);

describe('planDatabaseSteps and placeDatabaseSteps', () => {
  it('backs up, then migrates, before traffic moves', () => {
    const placed = placeDatabaseSteps(planDatabaseSteps(input({ up: [expandFile], held: [contractFile] })));
    expect(names(placed.beforeTraffic)).toEqual(['back up database', 'migrate database']);
    expect(placed.afterSwitch).toEqual([]);
  });

  it('adds nothing when there is nothing to run or hold, and only a migrate step when everything is held', () => {
    expect(placeDatabaseSteps(planDatabaseSteps(input({})))).toEqual({ beforeTraffic: [], afterSwitch: [] });
    const held = placeDatabaseSteps(planDatabaseSteps(input({ held: [contractFile] })));
    expect(names(held.beforeTraffic)).toEqual(['migrate database']);
  });

  it('skips the backup only when the config says so', () => {
    const steps = planDatabaseSteps(input({ up: [expandFile] }, { backup: { required: false, retain: 5 } }));
    expect(steps.backup).toEqual([]);
    expect(steps.migrate).toHaveLength(1);
  });

  it('reverts expand migrations after the switch, contract ones before traffic moves', () => {
    const expandDown = placeDatabaseSteps(
      planDatabaseSteps(input({ down: [applied('0002_tag', 'expand')] })),
    );
    expect(expandDown.beforeTraffic).toEqual([]);
    expect(names(expandDown.afterSwitch)).toEqual(['back up database', 'migrate database']);
    const contractDown = placeDatabaseSteps(
      planDatabaseSteps(input({ down: [applied('0003_drop', 'contract')] })),
    );
    expect(names(contractDown.beforeTraffic)).toEqual(['back up database', 'migrate database']);
    expect(contractDown.afterSwitch).toEqual([]);
  });
});

describe('the migrate step names the environment’s route', () => {
  it('so that a contract migration looks for older targets among this environment’s (app@environment ids too)', () => {
    const route = { key: 'hello@production', targetPrefix: 'hello_production' };
    const { migrate } = planDatabaseSteps(input({ held: [contractFile] }, { phase: 'contract', route }));
    expect(migrate[0]).toMatchObject({ kind: 'migrate', requireOnlyRelease: true, route });
    // A plan stored before the field: none, and the step falls back to the app's route.
    expect(planDatabaseSteps(input({ held: [contractFile] })).migrate[0]).not.toHaveProperty('route');
  });
});
