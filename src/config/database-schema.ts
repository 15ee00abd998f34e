import { z } from 'zod';
import { DEFAULTS } from './defaults.js';

/** A PostgreSQL URL with a password in it must come from a secret (`urlSecret`), never from slipway.yml. */
export function hasPasswordInUrl(url: string): boolean {
  return /^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(url);
}

const migrationsSchema = z
  .strictObject({
    dir: z
      .string()
      .min(1)
      .optional()
      .describe(
        `Directory of plain SQL migrations inside the release artifact (default \`${DEFAULTS.database.migrationsDir}\`): \`<name>.up.sql\` and an optional \`<name>.down.sql\`, applied in name order by Slipway's runner.`,
      ),
    command: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Instead of `dir`: the app's own migration tool, run through `sh -c` in an unpacked copy of the release with the release's env, its secrets and DATABASE_URL. Slipway cannot read what it does, so it cannot classify it (see docs/migrations.md).",
      ),
  })
  .refine((m) => !(m.dir && m.command), 'set either dir or command, not both')
  .describe('How the database is migrated.');

const backupSchema = z
  .strictObject({
    required: z
      .boolean()
      .default(DEFAULTS.database.backupRequired)
      .describe(
        'Take and verify a backup before migrating; false lets migrations run without one (an explicit, informed choice).',
      ),
    retain: z
      .int()
      .min(1)
      .max(1000)
      .default(DEFAULTS.database.backupRetain)
      .describe('Backups kept per environment; older ones are deleted after a new one is verified.'),
  })
  .describe('Backups taken before migrations (pg_dump custom format, or SQLite online backup).');

export const databaseSchema = z
  .strictObject({
    url: z
      .string()
      .min(1)
      .optional()
      .refine((u) => u === undefined || !hasPasswordInUrl(u), {
        message: 'this URL carries a password: put it in a secret and name it with urlSecret',
      })
      .describe(
        'The database: a `postgres://` URL without a password, or a SQLite file (a path relative to slipway.yml, or absolute; `sqlite:` prefix optional).',
      ),
    urlSecret: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a secret name')
      .optional()
      .describe(
        'Instead of `url`: the name of a secret holding the URL (needed when it carries a password; resolved like other secrets).',
      ),
    migrations: migrationsSchema.default({}),
    backup: backupSchema.default({
      required: DEFAULTS.database.backupRequired,
      retain: DEFAULTS.database.backupRetain,
    }),
  })
  .refine(
    (d) => (d.url === undefined) !== (d.urlSecret === undefined),
    'set exactly one of url and urlSecret',
  )
  .describe(
    "The app's database in this environment and how to migrate it; migrations run with a verified backup first (see docs/migrations.md).",
  );

export type DatabaseConfig = z.output<typeof databaseSchema>;
