import { SlipwayError } from '../core/errors.js';
import { DEFAULTS } from '../config/defaults.js';
import { hostName } from '../config/config-values.js';
import { routeSelectorOf, type RouteSelector } from '../config/config-values-front-door.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { ReleaseRuntime } from '../plan/plan-input.js';
import type { Stage, Step } from '../plan/steps.js';
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
  /** The environment's route and targets on its hosts (`routeSelectorOf`). */
  route?: RouteSelector;
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
    ...(input.route ? { route: input.route } : {}),
  };
  return { backup: changes && input.backup.required ? [backup] : [], migrate: [migrate] };
}

/** A deployment's database stages, by where they run among the strategy's stages (src/plan/plan-deploy.ts). */
export interface DatabaseStages {
  /** Before any target starts, stops or gets traffic: a failed migration aborts before users see anything new. */
  beforeTraffic: Stage[];
  /** After the switch: down migrations that only revert expand migrations (the newer code used them until then). */
  afterSwitch: Stage[];
}

export const NO_DATABASE_STAGES: DatabaseStages = { beforeTraffic: [], afterSwitch: [] };

/**
 * Where the backup and migrate steps run: before traffic moves, so that the new release starts on the new
 * schema; or, for a rollback that only reverts expand migrations, after the switch. Pure.
 */
export function placeDatabaseSteps(steps: { backup: Step[]; migrate: Step[] }): DatabaseStages {
  const migrate = steps.migrate[0];
  if (!migrate) return NO_DATABASE_STAGES;
  const stages: Stage[] = [
    ...(steps.backup.length ? [{ name: 'back up database', steps: steps.backup }] : []),
    { name: 'migrate database', steps: steps.migrate },
  ];
  const afterSwitch =
    migrate.kind === 'migrate' &&
    migrate.up.length === 0 &&
    migrate.down.length > 0 &&
    migrate.down.every((d) => d.phase === 'expand');
  return afterSwitch
    ? { beforeTraffic: [], afterSwitch: stages }
    : { beforeTraffic: stages, afterSwitch: [] };
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
 * A deployment's backup and migrate stages, from what `loadDatabaseInputs` read. Pure. Throws
 * IrreversibleMigrationError when going back is impossible, and says when going back needs `--down`.
 */
export function planDatabaseStages(input: DatabasePlanInput, loaded: LoadedDatabase | null): DatabaseStages {
  const config = input.env.database;
  if (!config || !loaded) return NO_DATABASE_STAGES;
  const base = {
    app: input.app,
    environment: input.environment,
    hosts: input.env.hosts.map(hostName),
    route: routeSelectorOf(input.app, input.environment, input.env),
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
    return placeDatabaseSteps(planDatabaseSteps({ ...base, command, migrations: none, phase: 'expand' }));
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
  return placeDatabaseSteps(planDatabaseSteps({ ...base, command: null, migrations, phase }));
}

export function migrationsDir(config: NonNullable<EnvironmentConfig['database']>): string {
  return config.migrations.dir ?? DEFAULTS.database.migrationsDir;
}
