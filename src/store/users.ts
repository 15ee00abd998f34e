import type { Kysely, Selectable } from 'kysely';
import type { Grant } from '../server/auth/roles.js';
import { parseJsonColumn } from './json-column.js';
import type { StoreDatabase, UsersTable } from './schema.js';

/** A dashboard user as stored: a scrypt hash of the password (see src/server/auth/password-hash.ts). */
export interface UserRecord {
  name: string;
  passwordHash: string;
  grants: Grant[];
  createdBy: string;
  createdAtMs: number;
  passwordChangedAtMs: number;
}

export interface UserRepository {
  /** Answers false (and changes nothing) when a user of that name exists. */
  createUser(user: UserRecord): Promise<boolean>;
  findUser(name: string): Promise<UserRecord | undefined>;
  /** By name. */
  listUsers(): Promise<UserRecord[]>;
  /** Answers whether the user existed; their sessions go with them. */
  deleteUser(name: string): Promise<boolean>;
  /** Answers whether the user exists; their other sessions end (a changed password logs everyone out). */
  setUserPassword(name: string, passwordHash: string, atMs: number): Promise<boolean>;
}

export function createUserRepository(db: Kysely<StoreDatabase>): UserRepository {
  return {
    async createUser(user) {
      const result = await db
        .insertInto('users')
        .values({
          name: user.name,
          password_hash: user.passwordHash,
          grants_json: JSON.stringify(user.grants),
          created_by: user.createdBy,
          created_at_ms: user.createdAtMs,
          password_changed_at_ms: user.passwordChangedAtMs,
        })
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    async findUser(name) {
      const row = await db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
      return row && toRecord(row);
    },

    async listUsers() {
      const rows = await db.selectFrom('users').selectAll().execute();
      // Byte order on both databases (PostgreSQL's collation may be linguistic).
      return rows.map(toRecord).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async deleteUser(name) {
      await db.deleteFrom('sessions').where('user_name', '=', name).execute();
      const result = await db.deleteFrom('users').where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    async setUserPassword(name, passwordHash, atMs) {
      const result = await db
        .updateTable('users')
        .set({ password_hash: passwordHash, password_changed_at_ms: atMs })
        .where('name', '=', name)
        .executeTakeFirst();
      await db.deleteFrom('sessions').where('user_name', '=', name).execute();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

function toRecord(row: Selectable<UsersTable>): UserRecord {
  return {
    name: row.name,
    passwordHash: row.password_hash,
    grants: (parseJsonColumn(row.grants_json) as Grant[] | undefined) ?? [],
    createdBy: row.created_by,
    createdAtMs: Number(row.created_at_ms),
    passwordChangedAtMs: Number(row.password_changed_at_ms),
  };
}
