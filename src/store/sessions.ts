import type { Kysely, Selectable } from 'kysely';
import type { SessionsTable, StoreDatabase } from './schema.js';

/** A dashboard session as stored: keyed by a SHA-256 of its id (the id itself is only in the cookie). */
export interface SessionRecord {
  idHash: string;
  userName: string;
  createdAtMs: number;
  lastSeenAtMs: number;
}

export interface SessionRepository {
  createSession(session: SessionRecord): Promise<void>;
  findSession(idHash: string): Promise<SessionRecord | undefined>;
  touchSession(idHash: string, atMs: number): Promise<void>;
  /** Answers whether it existed. */
  deleteSession(idHash: string): Promise<boolean>;
  /** Removes sessions created before `createdBeforeMs` or last seen before `lastSeenBeforeMs`; answers how many. */
  deleteStaleSessions(query: { createdBeforeMs: number; lastSeenBeforeMs: number }): Promise<number>;
}

export function createSessionRepository(db: Kysely<StoreDatabase>): SessionRepository {
  return {
    async createSession(session) {
      await db
        .insertInto('sessions')
        .values({
          id_hash: session.idHash,
          user_name: session.userName,
          created_at_ms: session.createdAtMs,
          last_seen_at_ms: session.lastSeenAtMs,
        })
        .execute();
    },

    async findSession(idHash) {
      const row = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id_hash', '=', idHash)
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async touchSession(idHash, atMs) {
      await db.updateTable('sessions').set({ last_seen_at_ms: atMs }).where('id_hash', '=', idHash).execute();
    },

    async deleteSession(idHash) {
      const result = await db.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    async deleteStaleSessions(query) {
      const result = await db
        .deleteFrom('sessions')
        .where((eb) =>
          eb.or([
            eb('created_at_ms', '<', query.createdBeforeMs),
            eb('last_seen_at_ms', '<', query.lastSeenBeforeMs),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function toRecord(row: Selectable<SessionsTable>): SessionRecord {
  return {
    idHash: row.id_hash,
    userName: row.user_name,
    createdAtMs: Number(row.created_at_ms),
    lastSeenAtMs: Number(row.last_seen_at_ms),
  };
}
