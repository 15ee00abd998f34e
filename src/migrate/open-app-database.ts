import { isAbsolute, resolve } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import type { Secret } from '../core/secret.js';
import type { DatabaseConfig } from '../config/database-schema.js';
import type { AppDatabase } from './app-database.js';
import type { DatabaseRef } from './migration-steps.js';
import { describePostgresUrl, openPostgresDatabase } from './postgres-database.js';
import { openSqliteDatabase } from './sqlite-database.js';

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** Where a SQLite URL points: relative paths are relative to slipway.yml's directory. */
function sqliteFile(url: string, projectDir: string): string {
  const path = url.replace(/^sqlite:(\/\/)?/, '');
  return isAbsolute(path) ? path : resolve(projectDir, path);
}

/**
 * The database of an environment as a plan may name it. A URL held in a secret is resolved here only to learn
 * its kind and printable form (the plan keeps the secret's name, never the URL).
 */
export function deriveDatabaseRef(
  config: DatabaseConfig,
  projectDir: string,
  secrets: ReadonlyMap<string, Secret>,
): DatabaseRef {
  if (config.url !== undefined) {
    if (isPostgresUrl(config.url))
      return {
        kind: 'postgres',
        where: describePostgresUrl(config.url).safeUrl,
        url: config.url,
        urlSecret: null,
      };
    const file = sqliteFile(config.url, projectDir);
    return { kind: 'sqlite', where: file, url: file, urlSecret: null };
  }
  const name = config.urlSecret ?? '';
  const value = secrets.get(name)?.reveal();
  if (value === undefined)
    throw new SlipwayError(`secret ${name} (the database URL) has no value`, {
      hint: `set ${name} or SLIPWAY_SECRET_${name} in the environment, or in .slipway/secrets/<environment>.env`,
    });
  if (isPostgresUrl(value))
    return { kind: 'postgres', where: describePostgresUrl(value).safeUrl, url: null, urlSecret: name };
  return { kind: 'sqlite', where: sqliteFile(value, projectDir), url: null, urlSecret: name };
}

/** The URL (or file) itself: from the plan, or revealed from its secret at this one edge. */
export function revealDatabaseUrl(ref: DatabaseRef, secrets: ReadonlyMap<string, Secret>): string {
  if (ref.url !== null) return ref.url;
  const value = ref.urlSecret ? secrets.get(ref.urlSecret)?.reveal() : undefined;
  if (value === undefined)
    throw new SlipwayError(`secret ${ref.urlSecret ?? '?'} (the database URL) has no value`);
  return ref.kind === 'sqlite' ? ref.where : value;
}

export function openAppDatabase(
  ref: DatabaseRef,
  secrets: ReadonlyMap<string, Secret>,
  lockTimeoutMs: number,
): Promise<AppDatabase> {
  const url = revealDatabaseUrl(ref, secrets);
  return ref.kind === 'postgres'
    ? openPostgresDatabase(url, lockTimeoutMs)
    : openSqliteDatabase(url, lockTimeoutMs);
}

/** Runs fn with the database open, and closes it. */
export async function withAppDatabase<T>(
  ref: DatabaseRef,
  secrets: ReadonlyMap<string, Secret>,
  lockTimeoutMs: number,
  fn: (db: AppDatabase) => Promise<T>,
): Promise<T> {
  const db = await openAppDatabase(ref, secrets, lockTimeoutMs);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
