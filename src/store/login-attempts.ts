import type { Kysely } from 'kysely';
import type { StoreDatabase } from './schema.js';

/**
 * Failed logins, per user name tried and client address, shared by every replica on the store (a limit kept in
 * one process's memory would multiply with the replicas). Only failures are kept, and only for a window.
 */
export interface LoginAttemptRepository {
  recordLoginFailure(failure: { id: string; userName: string; address: string; atMs: number }): Promise<void>;
  /** Times of failures since `sinceMs` (exclusive), oldest first. */
  listLoginFailureTimes(query: { userName?: string; address?: string; sinceMs: number }): Promise<number[]>;
  /** An attempt that turned out not to count (it was refused by the throttle before any guess). */
  deleteLoginFailure(id: string): Promise<void>;
  /** After a successful login: the user's own failures are forgotten (the address's are not). */
  clearLoginFailuresOfUser(userName: string): Promise<void>;
  /** Drops failures at or before `beforeMs` (they no longer count); answers how many. */
  pruneLoginFailures(beforeMs: number): Promise<number>;
}

export function createLoginAttemptRepository(db: Kysely<StoreDatabase>): LoginAttemptRepository {
  return {
    async recordLoginFailure(failure) {
      await db
        .insertInto('login_attempts')
        .values({
          id: failure.id,
          user_name: failure.userName,
          address: failure.address,
          at_ms: failure.atMs,
        })
        .execute();
    },

    async listLoginFailureTimes(query) {
      let select = db.selectFrom('login_attempts').select('at_ms').where('at_ms', '>', query.sinceMs);
      if (query.userName !== undefined) select = select.where('user_name', '=', query.userName);
      if (query.address !== undefined) select = select.where('address', '=', query.address);
      const rows = await select.orderBy('at_ms', 'asc').execute();
      return rows.map((r) => Number(r.at_ms));
    },

    async deleteLoginFailure(id) {
      await db.deleteFrom('login_attempts').where('id', '=', id).execute();
    },

    async clearLoginFailuresOfUser(userName) {
      await db.deleteFrom('login_attempts').where('user_name', '=', userName).execute();
    },

    async pruneLoginFailures(beforeMs) {
      const result = await db.deleteFrom('login_attempts').where('at_ms', '<=', beforeMs).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
