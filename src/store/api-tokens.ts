import type { Kysely, Selectable } from 'kysely';
import type { Grant } from '../server/auth/roles.js';
import { parseJsonColumn } from './json-column.js';
import type { ApiTokensTable, StoreDatabase } from './schema.js';

/** An API token as stored: its hash only, never the token itself. */
export interface ApiTokenRecord {
  id: string;
  /** Who acts with it: the name the ledger records for its mutations (e.g. `ci` or `alice`). */
  subject: string;
  description: string;
  tokenHash: string;
  grants: Grant[];
  createdBy: string;
  createdAtMs: number;
  expiresAtMs: number | null;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}

export interface ApiTokenRepository {
  createApiToken(token: Omit<ApiTokenRecord, 'lastUsedAtMs' | 'revokedAtMs'>): Promise<void>;
  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | undefined>;
  /** Newest first, revoked ones included (they show when and stay in the record). */
  listApiTokens(): Promise<ApiTokenRecord[]>;
  /** Answers whether a live token was revoked. */
  revokeApiToken(id: string, atMs: number): Promise<boolean>;
  touchApiToken(id: string, atMs: number): Promise<void>;
}

export function createApiTokenRepository(db: Kysely<StoreDatabase>): ApiTokenRepository {
  return {
    async createApiToken(token) {
      await db
        .insertInto('api_tokens')
        .values({
          id: token.id,
          subject: token.subject,
          description: token.description,
          token_hash: token.tokenHash,
          grants_json: JSON.stringify(token.grants),
          created_by: token.createdBy,
          created_at_ms: token.createdAtMs,
          expires_at_ms: token.expiresAtMs,
          last_used_at_ms: null,
          revoked_at_ms: null,
        })
        .execute();
    },

    async findApiTokenByHash(tokenHash) {
      const row = await db
        .selectFrom('api_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async listApiTokens() {
      const rows = await db.selectFrom('api_tokens').selectAll().orderBy('created_at_ms', 'desc').execute();
      return rows.map(toRecord);
    },

    async revokeApiToken(id, atMs) {
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at_ms: atMs })
        .where('id', '=', id)
        .where('revoked_at_ms', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async touchApiToken(id, atMs) {
      await db.updateTable('api_tokens').set({ last_used_at_ms: atMs }).where('id', '=', id).execute();
    },
  };
}

function toRecord(row: Selectable<ApiTokensTable>): ApiTokenRecord {
  return {
    id: row.id,
    subject: row.subject,
    description: row.description,
    tokenHash: row.token_hash,
    grants: (parseJsonColumn(row.grants_json) as Grant[] | undefined) ?? [],
    createdBy: row.created_by,
    createdAtMs: Number(row.created_at_ms),
    expiresAtMs: row.expires_at_ms === null ? null : Number(row.expires_at_ms),
    lastUsedAtMs: row.last_used_at_ms === null ? null : Number(row.last_used_at_ms),
    revokedAtMs: row.revoked_at_ms === null ? null : Number(row.revoked_at_ms),
  };
}
