import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { SlipwayError } from '../core/errors.js';

/** One migration as the release carries it: `<name>.up.sql` and an optional `<name>.down.sql`. */
export interface ReleaseMigration {
  name: string;
  upSql: string;
  downSql: string | null;
  /** sha256 of the up SQL: a migration changed after it was applied is refused. */
  checksum: string;
}

/**
 * The migration files of a release, read from its stored artifact (never from the working tree), so that a
 * deploy runs exactly what the release was built with.
 */
export async function readReleaseMigrations(artifactPath: string, dir: string): Promise<ReleaseMigration[]> {
  const prefix = normalize(dir)
    .replace(/^\.\/?/, '')
    .replace(/\/$/, '');
  const scratch = await mkdtemp(join(tmpdir(), 'slipway-migrations-'));
  try {
    // tar is loaded when a release's migrations are read: a plan without a database never parses it.
    const { x: extractTar } = await import('tar');
    await extractTar({
      file: artifactPath,
      cwd: scratch,
      strict: true,
      filter: (path) => {
        const p = normalize(path).replace(/^\.\//, '');
        return p === prefix || p.startsWith(`${prefix}/`);
      },
    }).catch((err: unknown) => {
      throw new SlipwayError(`cannot read the release artifact ${artifactPath}`, { cause: err });
    });
    const files = await readdir(join(scratch, prefix)).catch(() => [] as string[]);
    return await parseMigrationFiles(files, (f) => readFile(join(scratch, prefix, f), 'utf8'));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Pairs `*.up.sql` with `*.down.sql` (a down without an up is a mistake worth stopping for). */
export async function parseMigrationFiles(
  files: string[],
  read: (file: string) => Promise<string>,
): Promise<ReleaseMigration[]> {
  const ups = files.filter((f) => f.endsWith('.up.sql')).sort();
  const downs = new Set(files.filter((f) => f.endsWith('.down.sql')));
  const orphan = [...downs].find((d) => !ups.includes(d.replace(/\.down\.sql$/, '.up.sql')));
  if (orphan)
    throw new SlipwayError(`migration file ${orphan} has no matching .up.sql`, {
      hint: 'name migrations <name>.up.sql, with an optional <name>.down.sql',
    });
  return Promise.all(
    ups.map(async (up) => {
      const name = up.replace(/\.up\.sql$/, '');
      const upSql = await read(up);
      const down = `${name}.down.sql`;
      return {
        name,
        upSql,
        downSql: downs.has(down) ? await read(down) : null,
        checksum: createHash('sha256').update(upSql).digest('hex'),
      };
    }),
  );
}
