import { describe, expect, it } from 'vitest';
import type { AppliedMigration } from './app-database.js';
import { planMigrations } from './plan-migrations.js';
import type { ReleaseMigration } from './read-release-migrations.js';

const file = (name: string, upSql: string, downSql: string | null = null): ReleaseMigration => ({
  name,
  upSql,
  downSql,
  checksum: `sum-${name}-${upSql.length}`,
});
const applied = (
  f: ReleaseMigration,
  phase: 'expand' | 'contract',
  downSql: string | null = null,
): AppliedMigration => ({
  name: f.name,
  checksum: f.checksum,
  phase,
  release: '1.0.0',
  appliedAtMs: 0,
  downSql,
});

const create = file('0001_notes', 'CREATE TABLE notes (id int)');
const addTag = file('0002_tag', 'ALTER TABLE notes ADD COLUMN tag text');
const dropBody = file('0003_drop', 'ALTER TABLE notes DROP COLUMN body');
const addIndex = file('0004_index', 'CREATE INDEX i ON notes (tag)');

describe('planMigrations', () => {
  it('runs pending expand migrations and holds the first contract one and everything after it', () => {
    const plan = planMigrations({
      files: [create, addTag, dropBody, addIndex],
      applied: [applied(create, 'expand')],
      mode: 'deploy',
      runDown: false,
    });
    expect(plan.up.map((m) => m.name)).toEqual(['0002_tag']);
    expect(plan.held.map((m) => m.name)).toEqual(['0003_drop', '0004_index']);
    expect(plan.held[0]?.statements[0]?.reason).toMatch(/drops a column/);
  });

  it('runs the held ones in contract mode', () => {
    const plan = planMigrations({
      files: [create, addTag, dropBody, addIndex],
      applied: [applied(create, 'expand'), applied(addTag, 'expand')],
      mode: 'contract',
      runDown: false,
    });
    expect(plan.up.map((m) => m.name)).toEqual(['0003_drop', '0004_index']);
    expect(plan.held).toEqual([]);
  });

  it('refuses a migration changed after it was applied', () => {
    expect(() =>
      planMigrations({
        files: [file('0001_notes', 'CREATE TABLE notes (id bigint)')],
        applied: [applied(create, 'expand')],
        mode: 'deploy',
        runDown: false,
      }),
    ).toThrow(/changed after it was applied/);
  });

  it('going back keeps expand migrations, and flags contract ones: irreversible without down, needing --down with', () => {
    const plan = planMigrations({
      files: [create],
      applied: [applied(create, 'expand'), applied(addTag, 'expand'), applied(dropBody, 'contract')],
      mode: 'rollback',
      runDown: false,
    });
    expect(plan.kept.map((m) => m.name)).toEqual(['0002_tag']);
    expect(plan.irreversible.map((m) => m.name)).toEqual(['0003_drop']);
    const withDown = planMigrations({
      files: [create],
      applied: [
        applied(create, 'expand'),
        applied(dropBody, 'contract', 'ALTER TABLE notes ADD COLUMN body text'),
      ],
      mode: 'rollback',
      runDown: false,
    });
    expect(withDown.irreversible).toEqual([]);
    expect(withDown.needsDown.map((m) => m.name)).toEqual(['0003_drop']);
  });

  it('with --down reverts what has a down migration, newest first', () => {
    const plan = planMigrations({
      files: [create],
      applied: [
        applied(create, 'expand'),
        applied(addTag, 'expand', 'ALTER TABLE notes DROP COLUMN tag'),
        applied(addIndex, 'expand', 'DROP INDEX i'),
      ],
      mode: 'rollback',
      runDown: true,
    });
    expect(plan.down.map((m) => m.name)).toEqual(['0004_index', '0002_tag']);
    expect(plan.irreversible).toEqual([]);
  });
});
