import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { SlipwayError } from '../core/errors.js';
import { redact } from '../core/secret.js';
import { PostgresTextPlugin } from './postgres-text-plugin.js';
import type { StoreDatabase } from './schema.js';
import { redactStoreUrl } from './parse-store-url.js';

/** Connections one control-plane process keeps to the store's PostgreSQL. */
export const POSTGRES_POOL_SIZE = 10;
/** How long opening the store waits for the server before saying it is unreachable. */
export const POSTGRES_CONNECT_TIMEOUT_MS = 10_000;

const INT8_OID = 20;

/** Every secret part of a URL, to scrub from an error message the driver wrote. */
function urlSecrets(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [
      url,
      parsed.password,
      decodeURIComponent(parsed.password),
      parsed.searchParams.get('password') ?? '',
    ];
  } catch {
    return [url];
  }
}

/**
 * bigint (int8) columns hold epoch milliseconds and sequence numbers, all below 2^53; `pg` hands them out as
 * strings by default, SQLite as numbers. Parse them as numbers in this pool only (not process-wide, where an
 * app's own use of `pg` might rely on strings).
 */
const parseInt8 = (value: string): number => Number(value);
const storeTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : (pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown)(
          oid,
          format,
        )) as typeof pg.types.getTypeParser,
};

/** Connects to the store's PostgreSQL and checks that it answers, so that a wrong URL fails here, clearly. */
export async function openPostgresDatabase(url: string): Promise<Kysely<StoreDatabase>> {
  const where = redactStoreUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: POSTGRES_POOL_SIZE,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    types: storeTypes,
    application_name: 'slipway',
  });
  // An idle connection the server closes (a restart, a failover) is dropped from the pool; the next query
  // connects again. Without a listener the pool's 'error' event would end the process.
  pool.on('error', () => undefined);
  const db = new Kysely<StoreDatabase>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new PostgresTextPlugin()],
  });
  try {
    await sql`select 1`.execute(db);
    return db;
  } catch (error) {
    await db.destroy().catch(() => undefined);
    const reason = redact(error instanceof Error ? error.message : String(error), urlSecrets(url));
    throw new SlipwayError(`could not connect to the store at ${where}: ${reason}`, {
      hint: 'check the store URL (--store or SLIPWAY_STORE_URL): server, port, user, password and database',
    });
  }
}
