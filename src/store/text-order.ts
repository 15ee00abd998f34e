import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * A text column to order by, compared byte by byte (by code point) as SQLite does. A PostgreSQL database sorts
 * text by its collation (e.g. en-US puts `probe` before `Probe` and ignores punctuation at first), which would
 * make listings differ between the two stores; `collate "C"` is byte order on PostgreSQL.
 */
export function byteOrder<DB>(db: Kysely<DB>, column: string): RawBuilder<string> {
  return db.getExecutor().adapter instanceof PostgresAdapter
    ? sql<string>`${sql.ref(column)} collate "C"`
    : sql<string>`${sql.ref(column)}`;
}
