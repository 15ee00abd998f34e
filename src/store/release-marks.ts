import type { Kysely, Selectable } from 'kysely';
import type { ReleaseMarksTable, StoreDatabase } from './schema.js';

/** A release that passed its bake in an environment ("good" there): the pipeline's record of trust. */
export interface ReleaseMarkRecord {
  app: string;
  environment: string;
  version: string;
  deploymentId: string;
  markedBy: string;
  markedAtMs: number;
}

export interface ReleaseMarkRepository {
  /** Idempotent: marking the same release good in the same environment again keeps the first mark. */
  markReleaseGood(mark: ReleaseMarkRecord): Promise<void>;
  /** Newest first; optionally of one environment. */
  listReleaseMarks(app: string, environment?: string): Promise<ReleaseMarkRecord[]>;
}

export function createReleaseMarkRepository(db: Kysely<StoreDatabase>): ReleaseMarkRepository {
  return {
    async markReleaseGood(mark) {
      await db
        .insertInto('release_marks')
        .values({
          app: mark.app,
          environment: mark.environment,
          version: mark.version,
          deployment_id: mark.deploymentId,
          marked_by: mark.markedBy,
          marked_at_ms: mark.markedAtMs,
        })
        .onConflict((oc) => oc.columns(['app', 'environment', 'version']).doNothing())
        .execute();
    },

    async listReleaseMarks(app, environment) {
      let select = db.selectFrom('release_marks').selectAll().where('app', '=', app);
      if (environment !== undefined) select = select.where('environment', '=', environment);
      const rows = await select.orderBy('marked_at_ms', 'desc').execute();
      return rows.map(toRecord);
    },
  };
}

function toRecord(row: Selectable<ReleaseMarksTable>): ReleaseMarkRecord {
  return {
    app: row.app,
    environment: row.environment,
    version: row.version,
    deploymentId: row.deployment_id,
    markedBy: row.marked_by,
    markedAtMs: Number(row.marked_at_ms),
  };
}
