import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { SlipwayError } from '../core/errors.js';
import { redact } from '../core/secret.js';
import {
  MIGRATION_LOCK_TABLE,
  MIGRATIONS_TABLE,
  type AppDatabase,
  type AppliedMigration,
  type RowFingerprints,
  type RowSource,
  type TableColumns,
} from './app-database.js';

/** One advisory lock key for every Slipway migration run on a database. */
const LOCK_KEY = 7_355_608_001;

/** The URL split so that the password travels in PGPASSWORD, never on a command line or in output. */
export function describePostgresUrl(url: string): {
  safeUrl: string;
  password: string | null;
  database: string;
} {
  const parsed = new URL(url);
  const password = parsed.password ? decodeURIComponent(parsed.password) : null;
  parsed.password = '';
  return { safeUrl: parsed.toString(), password, database: decodeURIComponent(parsed.pathname.slice(1)) };
}

export async function openPostgresDatabase(url: string, lockTimeoutMs: number): Promise<AppDatabase> {
  const { safeUrl, password } = describePostgresUrl(url);
  const secrets = password ? [password] : [];
  // The driver is loaded when an app's PostgreSQL database is opened, not by every plan that might name one.
  const { default: driver } = await import('pg');
  const connect = async (target = url): Promise<pg.Client> => {
    const client = new driver.Client({ connectionString: target });
    try {
      await client.connect();
    } catch (err) {
      throw new SlipwayError(`cannot connect to the database ${safeUrl}: ${redact(String(err), secrets)}`, {
        hint: 'check the URL (or its secret) and that the database accepts connections from this machine',
      });
    }
    return client;
  };
  const client = await connect();
  const tool = (file: string, args: string[]): Promise<string> => runTool(file, args, password, secrets);
  const rowSource = (c: pg.Client): RowSource => ({
    listColumns: async () => {
      const rows = await c.query<{ t: string; c: string }>(
        `SELECT table_name AS t, column_name AS c FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> $1 ORDER BY table_name, ordinal_position`,
        [MIGRATION_LOCK_TABLE],
      );
      const out: TableColumns = new Map();
      for (const r of rows.rows) out.set(r.t, [...(out.get(r.t) ?? []), r.c]);
      return out;
    },
    fingerprintRows: async (columns) => {
      const out: RowFingerprints = new Map();
      for (const [t, cols] of columns) {
        const list = cols.length ? cols.map(quoteIdent).join(', ') : 'NULL';
        const rows = await c.query<{ h: string }>(
          `SELECT md5(ROW(${list}, NULL)::text) AS h FROM ${quoteIdent(t)}`,
        );
        out.set(
          t,
          rows.rows.map((r) => r.h),
        );
      }
      return out;
    },
  });
  const live = rowSource(client);
  const withScratch = async <T>(fn: (scratchUrl: string) => Promise<T>): Promise<T> => {
    const name = `slipway_scratch_${randomBytes(4).toString('hex')}`;
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    const scratch = new URL(url);
    scratch.pathname = `/${name}`;
    try {
      return await fn(scratch.toString());
    } finally {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    }
  };
  const dbArg = (target: string): string => {
    const u = new URL(target);
    u.password = '';
    return u.toString();
  };

  return {
    kind: 'postgres',
    where: safeUrl,
    listApplied: async () => {
      const exists = await client.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [
        MIGRATIONS_TABLE,
      ]);
      if (!exists.rows[0]?.t) return [];
      const rows = await client.query<{
        name: string;
        checksum: string;
        phase: string;
        release: string;
        applied_at_ms: string;
        down_sql: string | null;
      }>(
        `SELECT name, checksum, phase, release, applied_at_ms, down_sql FROM ${MIGRATIONS_TABLE} ORDER BY name`,
      );
      return rows.rows.map((r): AppliedMigration => ({
        name: r.name,
        checksum: r.checksum,
        phase: r.phase === 'expand' ? 'expand' : 'contract',
        release: r.release,
        appliedAtMs: Number(r.applied_at_ms),
        downSql: r.down_sql,
      }));
    },
    withMigrationLock: async (holder, onWait, fn) => {
      // A session-level advisory lock on its own connection: released when we unlock or the connection ends.
      const lockClient = await connect();
      try {
        const got = await lockClient.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
          LOCK_KEY,
        ]);
        if (!got.rows[0]?.ok) {
          const other = await client.query<{ pid: number; app: string }>(
            `SELECT l.pid, a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.objid::text = $1`,
            [String(LOCK_KEY % 2 ** 32)],
          );
          const who = other.rows[0];
          onWait(who ? `${who.app || 'a session'} (backend pid ${who.pid})` : 'another session');
          await lockClient.query(`SET lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
          await lockClient.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]).catch((err: unknown) => {
            throw new SlipwayError(`gave up waiting for the migration lock: ${errorText(err)}`);
          });
        }
        await lockClient.query(`SET application_name = ${quoteLiteral(holder.slice(0, 60))}`);
        return await fn();
      } finally {
        await lockClient.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
        await lockClient.end();
      }
    },
    apply: async (m, nowMs) => {
      await client.query('BEGIN');
      try {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name text PRIMARY KEY, checksum text NOT NULL,
           phase text NOT NULL, release text NOT NULL, applied_at_ms bigint NOT NULL, down_sql text)`,
        );
        await client.query(m.upSql);
        await client.query(
          `INSERT INTO ${MIGRATIONS_TABLE} (name, checksum, phase, release, applied_at_ms, down_sql)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [m.name, m.checksum, m.phase, m.release, nowMs, m.downSql],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new SlipwayError(
          `migration ${m.name} failed and was rolled back: ${redact(errorText(err), secrets)}`,
        );
      }
    },
    revert: async (m) => {
      if (m.downSql === null) throw new SlipwayError(`migration ${m.name} has no down migration`);
      await client.query('BEGIN');
      try {
        await client.query(m.downSql);
        await client.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE name = $1`, [m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new SlipwayError(`down migration of ${m.name} failed and was rolled back: ${errorText(err)}`);
      }
    },
    backup: async (file) => {
      await tool('pg_dump', ['--format=custom', `--file=${file}`, `--dbname=${dbArg(url)}`]);
    },
    verifyBackup: async (file) => {
      const listing = await tool('pg_restore', ['--list', file]);
      return { tables: listing.split('\n').filter((l) => /\bTABLE DATA\b/.test(l)).length };
    },
    listColumns: () => live.listColumns(),
    fingerprintRows: (columns) => live.fingerprintRows(columns),
    withBackupSnapshot: (file, fn) =>
      withScratch(async (scratchUrl) => {
        await tool('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${dbArg(scratchUrl)}`, file]);
        const scratch = await connect(scratchUrl);
        try {
          return await fn(rowSource(scratch));
        } finally {
          await scratch.end();
        }
      }),
    restore: async (file) => {
      const inBackup = new Set(
        (await tool('pg_restore', ['--list', file]))
          .split('\n')
          .flatMap((l) => /\bTABLE public (\S+) /.exec(l)?.[1] ?? []),
      );
      const live = await client.query<{ t: string }>(
        `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'`,
      );
      for (const { t } of live.rows)
        if (!inBackup.has(t)) await client.query(`DROP TABLE IF EXISTS ${quoteIdent(t)} CASCADE`);
      await tool('pg_restore', [
        '--clean',
        '--if-exists',
        '--no-owner',
        '--single-transaction',
        '--exit-on-error',
        `--dbname=${dbArg(url)}`,
        file,
      ]);
    },
    close: () => client.end(),
  };
}

function runTool(file: string, args: string[], password: string | null, secrets: string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolveRun(stdout);
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new SlipwayError(
            missing
              ? `${file} is not installed on the control plane`
              : `${file} failed: ${redact(stderr.trim().split('\n').slice(-5).join('\n') || error.message, secrets)}`,
            missing
              ? { hint: 'install the PostgreSQL client tools (Debian: apt-get install postgresql-client)' }
              : {},
          ),
        );
      },
    );
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
