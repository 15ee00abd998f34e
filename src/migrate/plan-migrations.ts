import { SlipwayError } from '../core/errors.js';
import type { AppliedMigration } from './app-database.js';
import { classifyMigration } from './classify-migration.js';
import type { PlannedMigration } from './migration-steps.js';
import type { ReleaseMigration } from './read-release-migrations.js';

export type MigrationMode = 'deploy' | 'rollback' | 'contract';

export interface MigrationPlan {
  /** Pending migrations that run now, in name order. */
  up: PlannedMigration[];
  /** Pending migrations held back: the first contract one and everything after it (order is kept). */
  held: PlannedMigration[];
  /** Applied migrations the release does not have, reverted newest first (only when asked for). */
  down: AppliedMigration[];
  /** Applied migrations the release does not have that stay (expand: the older code works with them). */
  kept: AppliedMigration[];
  /** Applied contract migrations without a down file that the release does not have: no way back. */
  irreversible: AppliedMigration[];
  /** Applied contract migrations with a down file: going back needs `--down`. */
  needsDown: AppliedMigration[];
}

export function planMigration(file: ReleaseMigration): PlannedMigration {
  const classification = classifyMigration(file.upSql);
  return {
    name: file.name,
    checksum: file.checksum,
    phase: classification.phase,
    hasDown: file.downSql !== null,
    statements: classification.statements,
  };
}

/**
 * Which migrations a deployment runs, holds back or reverts, from the release's files and what the database
 * has applied. Pure.
 */
export function planMigrations(input: {
  files: ReleaseMigration[];
  applied: AppliedMigration[];
  mode: MigrationMode;
  runDown: boolean;
}): MigrationPlan {
  const applied = new Map(input.applied.map((a) => [a.name, a]));
  for (const file of input.files) {
    const done = applied.get(file.name);
    if (done && done.checksum !== file.checksum) {
      throw new SlipwayError(
        `migration ${file.name} was changed after it was applied (by release ${done.release})`,
        { hint: 'never edit an applied migration: add a new one' },
      );
    }
  }
  const pending = input.files.filter((f) => !applied.has(f.name)).map(planMigration);
  const firstContract = input.mode === 'contract' ? -1 : pending.findIndex((m) => m.phase === 'contract');
  const cut = firstContract === -1 ? pending.length : firstContract;
  const names = new Set(input.files.map((f) => f.name));
  const ahead = input.applied.filter((a) => !names.has(a.name)).sort((a, b) => b.name.localeCompare(a.name));
  const plan: MigrationPlan = {
    up: pending.slice(0, cut),
    held: pending.slice(cut),
    down: [],
    kept: [],
    irreversible: [],
    needsDown: [],
  };
  if (input.runDown) {
    plan.irreversible = ahead.filter((a) => a.downSql === null && a.phase === 'contract');
    plan.down = ahead.filter((a) => a.downSql !== null);
    plan.kept = ahead.filter((a) => a.downSql === null && a.phase === 'expand');
  } else {
    plan.irreversible = ahead.filter((a) => a.phase === 'contract' && a.downSql === null);
    plan.needsDown = ahead.filter((a) => a.phase === 'contract' && a.downSql !== null);
    plan.kept = ahead.filter((a) => a.phase === 'expand');
  }
  return plan;
}
