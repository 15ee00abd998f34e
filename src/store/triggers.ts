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

/** A signed webhook delivery, as remembered to recognise its replays. */
export interface WebhookDelivery {
  app: string;
  deliveryId: string;
  /** Hex SHA-256 of the raw body: the signature covers the body but not the delivery id. */
  bodySha256: string;
  /** The push's `repository.pushed_at` (part of the signed body); null when it has none. */
  pushedAtMs: number | null;
  receivedAtMs: number;
}

/** The answer to a claim: new, or seen before (by its delivery id or by its body, under `first`). */
export type WebhookDeliveryClaim =
  { kind: 'claimed' } | { kind: 'seen'; first: { deliveryId: string; receivedAtMs: number } | null };

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
   * Records a webhook delivery; answers `seen` when its delivery id or its body was recorded before (a replay,
   * whatever id it now carries). Atomic across processes sharing one store, so two receivers cannot both accept
   * one delivery or one body.
   */
  claimWebhookDelivery(delivery: WebhookDelivery): Promise<WebhookDeliveryClaim>;
  /**
   * Forgets the deliveries pushed before `pushedBeforeMs` (the receiver refuses those by their age anyway);
   * deliveries without `pushed_at` are kept. Answers how many were forgotten.
   */
  forgetWebhookDeliveries(app: string, pushedBeforeMs: number): Promise<number>;
}

/** A claim that conflicts and then finds nothing (the row was forgotten meanwhile) is tried again this often. */
const CLAIM_ATTEMPTS = 3;

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

    async claimWebhookDelivery(delivery) {
      for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
        // No conflict target: either unique key (the id, or the body's digest) makes this a replay.
        const inserted = await db
          .insertInto('webhook_deliveries')
          .values({
            app: delivery.app,
            delivery_id: delivery.deliveryId,
            body_sha256: delivery.bodySha256,
            pushed_at_ms: delivery.pushedAtMs,
            received_at_ms: delivery.receivedAtMs,
          })
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { kind: 'claimed' };
        const first = await db
          .selectFrom('webhook_deliveries')
          .select(['delivery_id', 'received_at_ms'])
          .where('app', '=', delivery.app)
          .where((eb) =>
            eb.or([eb('delivery_id', '=', delivery.deliveryId), eb('body_sha256', '=', delivery.bodySha256)]),
          )
          .orderBy('received_at_ms')
          .executeTakeFirst();
        if (first) {
          return {
            kind: 'seen',
            first: { deliveryId: first.delivery_id, receivedAtMs: Number(first.received_at_ms) },
          };
        }
      }
      return { kind: 'seen', first: null };
    },

    async forgetWebhookDeliveries(app, pushedBeforeMs) {
      const deleted = await db
        .deleteFrom('webhook_deliveries')
        .where('app', '=', app)
        .where('pushed_at_ms', '<', pushedBeforeMs)
        .executeTakeFirst();
      return Number(deleted.numDeletedRows);
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

/**
 * Migration 0012_webhook_body_digests: deliveries are also known by their body, so that a captured delivery
 * sent again under a new id is still a replay; and by when they were pushed, so that those old enough to be
 * refused by their age can be forgotten.
 */
export async function addWebhookBodyDigests(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  await db.schema.alterTable('webhook_deliveries').addColumn('body_sha256', 'text').execute();
  await db.schema.alterTable('webhook_deliveries').addColumn('pushed_at_ms', 'bigint').execute();
  // Rows from before this migration have no digest; NULLs never collide in a unique index (both databases).
  await db.schema
    .createIndex('webhook_deliveries_by_body')
    .on('webhook_deliveries')
    .columns(['app', 'body_sha256'])
    .unique()
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_by_pushed_at')
    .on('webhook_deliveries')
    .columns(['app', 'pushed_at_ms'])
    .execute();
}
