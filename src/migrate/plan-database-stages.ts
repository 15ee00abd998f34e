import type { Plan, Stage, Step } from '../plan/steps.js';
import type { BackupDatabaseStep, DatabaseRef, MigrateStep } from './migration-steps.js';
import type { MigrationPlan } from './plan-migrations.js';

export interface DatabaseStagesInput {
  app: string;
  environment: string;
  release: { version: string; artifact: string };
  database: DatabaseRef;
  dir: string;
  command: MigrateStep['command'];
  backup: { required: boolean; retain: number };
  migrations: MigrationPlan;
  /** contract: run the held migrations (the planner put them in `up`), checking no older target runs. */
  phase: 'expand' | 'contract';
  hosts: string[];
}

/**
 * The backup and migrate steps of a plan. Pure. A backup precedes anything that changes the database unless
 * the config says `backup.required: false`; a plan whose migrations are all held gets a migrate step that only
 * records them as held.
 */
export function planDatabaseSteps(input: DatabaseStagesInput): { backup: Step[]; migrate: Step[] } {
  const m = input.migrations;
  const changes = m.up.length > 0 || m.down.length > 0 || input.command !== null;
  if (!changes && m.held.length === 0) return { backup: [], migrate: [] };
  const backup: BackupDatabaseStep = {
    kind: 'backup-database',
    host: 'control-plane',
    app: input.app,
    environment: input.environment,
    release: input.release.version,
    database: input.database,
    retain: input.backup.retain,
  };
  const migrate: MigrateStep = {
    kind: 'migrate',
    host: 'control-plane',
    app: input.app,
    environment: input.environment,
    release: input.release.version,
    artifact: input.release.artifact,
    phase: input.phase,
    database: input.database,
    dir: input.dir,
    command: input.command,
    up: m.up,
    down: m.down.map((d) => ({ name: d.name, release: d.release, phase: d.phase })),
    held: m.held,
    requireOnlyRelease: input.phase === 'contract',
    hosts: input.hosts,
  };
  return { backup: changes && input.backup.required ? [backup] : [], migrate: [migrate] };
}

const TRAFFIC_KINDS = new Set<Step['kind']>(['start-target', 'stop-target', 'switch-traffic', 'set-weight']);

/**
 * Puts the database stages into a deploy plan: before the first stage that starts, stops or moves traffic,
 * so a failed migration aborts before users see anything new and the new release starts on the new schema.
 * Down migrations of a rollback that only revert expand migrations run after the switch instead (the newer
 * code used their columns until then). Pure.
 */
export function withDatabaseStages(plan: Plan, steps: { backup: Step[]; migrate: Step[] }): Plan {
  if (steps.migrate.length === 0) return plan;
  const migrate = steps.migrate[0];
  const afterSwitch =
    migrate?.kind === 'migrate' &&
    migrate.up.length === 0 &&
    migrate.down.length > 0 &&
    migrate.down.every((d) => d.phase === 'expand');
  const dbStages: Stage[] = [
    ...(steps.backup.length ? [{ name: 'back up database', steps: steps.backup }] : []),
    { name: 'migrate database', steps: steps.migrate },
  ];
  const index = afterSwitch
    ? lastIndex(plan.stages, (s) => s.steps.some((step) => step.kind === 'switch-traffic')) + 1
    : plan.stages.findIndex((s) => s.steps.some((step) => TRAFFIC_KINDS.has(step.kind)));
  const at = index <= 0 ? (afterSwitch ? plan.stages.length : 0) : index;
  return { ...plan, stages: [...plan.stages.slice(0, at), ...dbStages, ...plan.stages.slice(at)] };
}

function lastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i] as T)) return i;
  return -1;
}
