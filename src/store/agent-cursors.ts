import type { Kysely } from 'kysely';
import type { StoreDatabase } from './schema.js';

/**
 * How far the agents' event journals have been copied into the ledger: per app and host, the last journal
 * sequence number copied. Kept in the store (migration 0011_agent_cursors) so that every process sharing the
 * store — CLIs on several machines, server replicas — copies each event once.
 */
export interface AgentCursorRepository {
  /** Host name → last copied sequence number, for the hosts that have one. */
  getAgentCursors(app: string): Promise<Record<string, number>>;
  /**
   * Moves a host's cursor from `from` (null: it has none yet) to `to`, only if nobody moved it since it was read
   * (compare-and-swap); answers whether it did. The caller copies the events of that range only when it did.
   */
  advanceAgentCursor(app: string, host: string, from: number | null, to: number): Promise<boolean>;
}

export function createAgentCursorRepository(db: Kysely<StoreDatabase>): AgentCursorRepository {
  return {
    async getAgentCursors(app) {
      const rows = await db.selectFrom('agent_cursors').selectAll().where('app', '=', app).execute();
      return Object.fromEntries(rows.map((r) => [r.host, Number(r.seq)]));
    },

    async advanceAgentCursor(app, host, from, to) {
      if (from === null) {
        const result = await db
          .insertInto('agent_cursors')
          .values({ app, host, seq: to })
          .onConflict((oc) => oc.columns(['app', 'host']).doNothing())
          .executeTakeFirst();
        return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
      }
      const result = await db
        .updateTable('agent_cursors')
        .set({ seq: to })
        .where('app', '=', app)
        .where('host', '=', host)
        .where('seq', '=', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export async function createAgentCursorTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('agent_cursors')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('agent_cursors_pk', ['app', 'host'])
    .execute();
}
