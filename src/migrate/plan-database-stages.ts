import { SlipwayError } from '../core/errors.js';
import { DEFAULTS } from '../config/defaults.js';
import { hostName } from '../config/config-values.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { ReleaseRuntime } from '../plan/plan-input.js';
import type { Plan, Stage, Step } from '../plan/steps.js';
import type { AppliedMigration } from './app-database.js';
import type { LoadedDatabase } from './load-database-inputs.js';
import type { BackupDatabaseStep, DatabaseRef, MigrateStep } from './migration-steps.js';
import { planMigrations, type MigrationMode, type MigrationPlan } from './plan-migrations.js';

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

/** A rollback (or a deploy of an older release) would cross migrations that cannot be reverted. */
export class IrreversibleMigrationError extends SlipwayError {
  constructor(
    readonly environment: string,
    readonly release: string,
    readonly migrations: AppliedMigration[],
  ) {
    super(
      `going back to ${release} would cross irreversible contract migration${migrations.length > 1 ? 's' : ''} ${migrations.map((m) => `${m.name} (applied by ${m.release})`).join(', ')}: the older release needs what they removed, and they have no down migration`,
      {
        hint: `nothing was changed; ${environment} is frozen (deploys refused). Either restore a backup ("slipway db backups ${environment}", "slipway db restore ${environment} --backup <id>") or prepare a fix to deploy forward, then "slipway db unfreeze ${environment} --reason …"`,
      },
    );
  }
}

/** What the database stages are planned from, besides what the files and the database say. */
export interface DatabasePlanInput {
  app: string;
  environment: string;
  env: EnvironmentConfig;
  projectDir: string;
  release: ReleaseRuntime;
  mode: MigrationMode;
  runDown: boolean;
}

/**
 * The backup and migrate stages added to the plan, from what `loadDatabaseInputs` read. Pure. Throws
 * IrreversibleMigrationError when going back is impossible, and says when going back needs `--down`.
 */
export function planDatabaseStages(
  plan: Plan,
  input: DatabasePlanInput,
  loaded: LoadedDatabase | null,
): Plan {
  const config = input.env.database;
  if (!config || !loaded) return plan;
  const base = {
    app: input.app,
    environment: input.environment,
    hosts: input.env.hosts.map(hostName),
    release: { version: input.release.version, artifact: input.release.artifact },
    database: loaded.database,
    dir: migrationsDir(config),
    backup: config.backup,
  };
  if (loaded.migrations === null) {
    const command = {
      run: config.migrations.command ?? '',
      env: input.release.env,
      secretNames: input.release.secretNames,
    };
    const none = { up: [], held: [], down: [], kept: [], irreversible: [], needsDown: [] };
    return withDatabaseStages(
      plan,
      planDatabaseSteps({ ...base, command, migrations: none, phase: 'expand' }),
    );
  }
  const migrations = planMigrations({ ...loaded.migrations, mode: input.mode, runDown: input.runDown });
  if (migrations.irreversible.length > 0)
    throw new IrreversibleMigrationError(input.environment, input.release.version, migrations.irreversible);
  if (migrations.needsDown.length > 0)
    throw new SlipwayError(
      `going back to ${input.release.version} crosses contract migration${migrations.needsDown.length > 1 ? 's' : ''} ${migrations.needsDown.map((m) => m.name).join(', ')}; the older release needs them reverted`,
      { hint: 'run their down migrations with "slipway rollback <env> --down" (a backup is taken first)' },
    );
  const phase = input.mode === 'contract' ? 'contract' : 'expand';
  return withDatabaseStages(plan, planDatabaseSteps({ ...base, command: null, migrations, phase }));
}

export function migrationsDir(config: NonNullable<EnvironmentConfig['database']>): string {
  return config.migrations.dir ?? DEFAULTS.database.migrationsDir;
}
