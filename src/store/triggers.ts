import type { Kysely } from 'kysely';
import type { StoreDatabase } from './schema.js';

/** What happened to one commit of a watched branch. */
export interface WatchedCommitRecord {
  app: string;
  /** `<repo>#<branch>`: one watch of one branch. */
  watch: string;
  commit: string;
  status: 'built' | 'failed';
  /** The release version it became (null when its build failed before a version was stored). */
  version: string | null;
  atMs: number;
}

/**
 * Continuous deployment's memory: per watch the last commit seen on the branch and the outcome of every
 * commit built, so that no commit is built twice; and the webhook deliveries already seen, to ignore replays.
 */
export interface TriggerRepository {
  getWatchHead(app: string, watch: string): Promise<string | undefined>;
  setWatchHead(app: string, watch: string, commit: string, atMs: number): Promise<void>;
  getWatchedCommit(app: string, watch: string, commit: string): Promise<WatchedCommitRecord | undefined>;
  recordWatchedCommit(record: WatchedCommitRecord): Promise<void>;
  /**
   * Records a webhook delivery id; answers false when it was seen before (a replay). Atomic across processes
   * sharing one store, so two receivers cannot both accept one delivery.
   */
  claimWebhookDelivery(app: string, deliveryId: string, atMs: number): Promise<boolean>;
}

export function createTriggerRepository(db: Kysely<StoreDatabase>): TriggerRepository {
  return {
    async getWatchHead(app, watch) {
      const row = await db
        .selectFrom('watch_heads')
        .select('commit_sha')
        .where('app', '=', app)
        .where('watch', '=', watch)
        .executeTakeFirst();
      return row?.commit_sha;
    },

    async setWatchHead(app, watch, commit, atMs) {
      await db
        .insertInto('watch_heads')
        .values({ app, watch, commit_sha: commit, updated_at_ms: atMs })
        .onConflict((oc) =>
          oc.columns(['app', 'watch']).doUpdateSet({ commit_sha: commit, updated_at_ms: atMs }),
        )
        .execute();
    },

    async getWatchedCommit(app, watch, commit) {
      const row = await db
        .selectFrom('watched_commits')
        .selectAll()
        .where('app', '=', app)
        .where('watch', '=', watch)
        .where('commit_sha', '=', commit)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        app: row.app,
        watch: row.watch,
        commit: row.commit_sha,
        status: row.status === 'built' ? 'built' : 'failed',
        version: row.version,
        atMs: Number(row.at_ms),
      };
    },

    async recordWatchedCommit(record) {
      const values = { status: record.status, version: record.version, at_ms: record.atMs };
      await db
        .insertInto('watched_commits')
        .values({ app: record.app, watch: record.watch, commit_sha: record.commit, ...values })
        .onConflict((oc) => oc.columns(['app', 'watch', 'commit_sha']).doUpdateSet(values))
        .execute();
    },

    async claimWebhookDelivery(app, deliveryId, atMs) {
      const inserted = await db
        .insertInto('webhook_deliveries')
        .values({ app, delivery_id: deliveryId, received_at_ms: atMs })
        .onConflict((oc) => oc.columns(['app', 'delivery_id']).doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
    },
  };
}

export async function createTriggerTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('watch_heads')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('watch', 'text', (c) => c.notNull())
    .addColumn('commit_sha', 'text', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('watch_heads_pk', ['app', 'watch'])
    .execute();
  await db.schema
    .createTable('watched_commits')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('watch', 'text', (c) => c.notNull())
    .addColumn('commit_sha', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('version', 'text')
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('watched_commits_pk', ['app', 'watch', 'commit_sha'])
    .execute();
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('received_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['app', 'delivery_id'])
    .execute();
}
