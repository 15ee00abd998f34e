import { SlipwayError } from '../core/errors.js';
import type { Secret } from '../core/secret.js';
import { DEFAULTS } from '../config/defaults.js';
import { hostName } from '../config/config-values.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { ReleaseRuntime } from '../plan/plan-input.js';
import type { Plan } from '../plan/steps.js';
import type { AppliedMigration } from './app-database.js';
import { deriveDatabaseRef, withAppDatabase } from './open-app-database.js';
import { planDatabaseSteps, withDatabaseStages } from './plan-database-stages.js';
import { planMigrations, type MigrationMode } from './plan-migrations.js';
import { readReleaseMigrations } from './read-release-migrations.js';

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

export interface DatabasePlanInput {
  app: string;
  environment: string;
  env: EnvironmentConfig;
  projectDir: string;
  release: ReleaseRuntime;
  mode: MigrationMode;
  runDown: boolean;
  loadSecrets(names: readonly string[]): Promise<Map<string, Secret>>;
}

/**
 * Reads the release's migration files and the database's applied migrations, and adds the backup and migrate
 * stages to the plan. Nothing is changed. Throws IrreversibleMigrationError when going back is impossible.
 */
export async function addDatabaseStages(plan: Plan, input: DatabasePlanInput): Promise<Plan> {
  const config = input.env.database;
  if (!config) return plan;
  const secrets = await input.loadSecrets(config.urlSecret ? [config.urlSecret] : []);
  const database = deriveDatabaseRef(config, input.projectDir, secrets);
  const dir = config.migrations.dir ?? DEFAULTS.database.migrationsDir;
  const lockTimeoutMs = DEFAULTS.database.lockTimeoutMs;
  if (config.migrations.command !== undefined) {
    if (input.mode !== 'deploy') return plan;
    const command = {
      run: config.migrations.command,
      env: input.release.env,
      secretNames: input.release.secretNames,
    };
    const steps = planDatabaseSteps({
      ...base(input, database, dir, config.backup),
      command,
      migrations: { up: [], held: [], down: [], kept: [], irreversible: [], needsDown: [] },
      phase: 'expand',
    });
    return withDatabaseStages(plan, steps);
  }
  const files = await readReleaseMigrations(input.release.artifact, dir);
  const applied = await withAppDatabase(database, secrets, lockTimeoutMs, (db) => db.listApplied());
  const migrations = planMigrations({ files, applied, mode: input.mode, runDown: input.runDown });
  if (migrations.irreversible.length > 0)
    throw new IrreversibleMigrationError(input.environment, input.release.version, migrations.irreversible);
  if (migrations.needsDown.length > 0)
    throw new SlipwayError(
      `going back to ${input.release.version} crosses contract migration${migrations.needsDown.length > 1 ? 's' : ''} ${migrations.needsDown.map((m) => m.name).join(', ')}; the older release needs them reverted`,
      { hint: 'run their down migrations with "slipway rollback <env> --down" (a backup is taken first)' },
    );
  const steps = planDatabaseSteps({
    ...base(input, database, dir, config.backup),
    command: null,
    migrations,
    phase: input.mode === 'contract' ? 'contract' : 'expand',
  });
  return withDatabaseStages(plan, steps);
}

function base(
  input: DatabasePlanInput,
  database: ReturnType<typeof deriveDatabaseRef>,
  dir: string,
  backup: { required: boolean; retain: number },
) {
  return {
    app: input.app,
    environment: input.environment,
    hosts: input.env.hosts.map(hostName),
    release: { version: input.release.version, artifact: input.release.artifact },
    database,
    dir,
    backup,
  };
}
