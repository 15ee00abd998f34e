import { PostgresAdapter, sql, type Kysely, type Selectable } from 'kysely';
import { parseJsonColumn, serializeJsonColumn } from './json-column.js';
import type { LedgerEventsTable, StoreDatabase } from './schema.js';

/** One entry of the append-only record of what happened: who did what, where, why. */
export interface LedgerEventRecord {
  /** Increases with every append and is never reused. */
  seq: number;
  atMs: number;
  actor: string;
  app: string;
  /** Null for events that belong to no environment, e.g. `release.created`. */
  environment: string | null;
  /** Dotted, e.g. 'release.created', 'deploy.started', 'traffic.switched', 'rollback.succeeded'. */
  kind: string;
  deploymentId: string | null;
  release: string | null;
  message: string;
  /** Structured details (JSON); undefined when the event carries none. */
  data: unknown;
}

export type NewLedgerEvent = Omit<LedgerEventRecord, 'seq' | 'deploymentId' | 'release' | 'data'> & {
  deploymentId?: string | null;
  release?: string | null;
  data?: unknown;
};

export interface ListEventsQuery {
  app: string;
  /** Only events of this environment (events without an environment are left out). */
  environment?: string;
  /** Only events of these kinds; undefined or empty means every kind. */
  kinds?: readonly string[];
  limit: number;
  /** Only events older than this sequence number: pass the last `seq` of a page to get the next one. */
  beforeSeq?: number;
  /** Only events of this deployment. */
  deploymentId?: string;
  /** Only events newer than this sequence number (a follower's cursor); with it the order is still newest first. */
  afterSeq?: number;
  /** Only events of these environments or of none (what a reader granted these environments may see). */
  visibleEnvironments?: readonly string[];
  /** Only events whose message, actor, release or deployment id contains this text (case-insensitive). */
  search?: string;
  /**
   * `seq` (the default): newest appended first, which is what paging and followers need. `time`: newest `atMs`
   * first, then newest `seq`, for a reader of what happened when: agents' events are copied in after later ones.
   */
  order?: 'seq' | 'time';
}

/** The ledger is append-only: there is deliberately no way to update or delete an event. */
export interface LedgerRepository {
  /** Returns the new event's sequence number. */
  appendEvent(event: NewLedgerEvent): Promise<number>;
  /** Newest first (by `query.order`). */
  listEvents(query: ListEventsQuery): Promise<LedgerEventRecord[]>;
}

/** The advisory lock that serialises appends on PostgreSQL (an arbitrary constant: "slipway ledger"). */
export const LEDGER_APPEND_LOCK = 0x5117_1ed6;

export function createLedgerRepository(db: Kysely<StoreDatabase>): LedgerRepository {
  // SQLite serialises writers, so sequence order is commit order. PostgreSQL hands out identity values before
  // commit: two concurrent appends could become visible in the other order, and a reader would see seq 11
  // while 10 is still coming. Appends there take a transaction-scoped advisory lock, released after commit.
  const serialiseAppends = db.getExecutor().adapter instanceof PostgresAdapter;

  async function insertEvent(into: Kysely<StoreDatabase>, event: NewLedgerEvent): Promise<number> {
    const { seq } = await into
      .insertInto('ledger_events')
      .values({
        at_ms: event.atMs,
        actor: event.actor,
        app: event.app,
        environment: event.environment,
        kind: event.kind,
        deployment_id: event.deploymentId ?? null,
        release: event.release ?? null,
        message: event.message,
        data_json: serializeJsonColumn(event.data),
      })
      .returning('seq')
      .executeTakeFirstOrThrow();
    return Number(seq);
  }

  return {
    appendEvent(event) {
      if (!serialiseAppends) return insertEvent(db, event);
      return db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${LEDGER_APPEND_LOCK})`.execute(trx);
        return insertEvent(trx, event);
      });
    },

    async listEvents(query) {
      let select = db.selectFrom('ledger_events').selectAll().where('app', '=', query.app);
      if (query.environment !== undefined) select = select.where('environment', '=', query.environment);
      if (query.kinds !== undefined && query.kinds.length > 0)
        select = select.where('kind', 'in', query.kinds);
      if (query.beforeSeq !== undefined) select = select.where('seq', '<', query.beforeSeq);
      if (query.deploymentId !== undefined) select = select.where('deployment_id', '=', query.deploymentId);
      if (query.afterSeq !== undefined) select = select.where('seq', '>', query.afterSeq);
      const visible = query.visibleEnvironments;
      if (visible !== undefined)
        select = select.where((eb) =>
          visible.length > 0
            ? eb.or([eb('environment', 'is', null), eb('environment', 'in', visible)])
            : eb('environment', 'is', null),
        );
      if (query.search !== undefined && query.search !== '') {
        // lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
        const pattern = `%${query.search.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
        const contains = (column: 'message' | 'actor' | 'release' | 'deployment_id') =>
          sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
        select = select.where((eb) =>
          eb.or([contains('message'), contains('actor'), contains('release'), contains('deployment_id')]),
        );
      }
      if (query.order === 'time') select = select.orderBy('at_ms', 'desc');
      const rows = await select.orderBy('seq', 'desc').limit(query.limit).execute();
      return rows.map(toLedgerEventRecord);
    },
  };
}

function toLedgerEventRecord(row: Selectable<LedgerEventsTable>): LedgerEventRecord {
  return {
    seq: Number(row.seq),
    atMs: row.at_ms,
    actor: row.actor,
    app: row.app,
    environment: row.environment,
    kind: row.kind,
    deploymentId: row.deployment_id,
    release: row.release,
    message: row.message,
    data: parseJsonColumn(row.data_json),
  };
}
