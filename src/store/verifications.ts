import type { Kysely, Selectable } from 'kysely';
import { parseJsonColumn, serializeJsonColumn } from './json-column.js';
import type { StoreDatabase, VerificationsTable } from './schema.js';
import type { PerformanceSample, VerificationCheck } from '../verify/verification-check.js';

/** One run of an environment's verification suite against a release. */
export interface VerificationRecord {
  id: number;
  app: string;
  environment: string;
  release: string;
  /** The deployment that ran it; null for `slipway verify` on demand. */
  deploymentId: string | null;
  atMs: number;
  passed: boolean;
  checks: VerificationCheck[];
  /** What the load run measured (null when the suite has no performance check or it did not run). */
  performance: PerformanceSample | null;
}

export type NewVerification = Omit<VerificationRecord, 'id'>;

export interface VerificationRepository {
  recordVerification(v: NewVerification): Promise<number>;
  /** The newest verification of a release in an environment. */
  latestVerification(q: {
    app: string;
    environment: string;
    release: string;
  }): Promise<VerificationRecord | undefined>;
  /**
   * The performance baseline for a release: the newest passing verification of another release in the same
   * environment that measured performance.
   */
  findPerformanceBaseline(q: {
    app: string;
    environment: string;
    excludeRelease: string;
  }): Promise<VerificationRecord | undefined>;
  /** Newest first. */
  listVerifications(q: { app: string; environment?: string; limit: number }): Promise<VerificationRecord[]>;
}

export function createVerificationRepository(db: Kysely<StoreDatabase>): VerificationRepository {
  return {
    async recordVerification(v) {
      const { id } = await db
        .insertInto('verifications')
        .values({
          app: v.app,
          environment: v.environment,
          release: v.release,
          deployment_id: v.deploymentId,
          at_ms: v.atMs,
          passed: v.passed ? 1 : 0,
          checks_json: serializeJsonColumn(v.checks) ?? '[]',
          performance_json: serializeJsonColumn(v.performance ?? undefined),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(id);
    },

    async latestVerification(q) {
      const row = await db
        .selectFrom('verifications')
        .selectAll()
        .where('app', '=', q.app)
        .where('environment', '=', q.environment)
        .where('release', '=', q.release)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async findPerformanceBaseline(q) {
      const row = await db
        .selectFrom('verifications')
        .selectAll()
        .where('app', '=', q.app)
        .where('environment', '=', q.environment)
        .where('release', '!=', q.excludeRelease)
        .where('passed', '=', 1)
        .where('performance_json', 'is not', null)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async listVerifications(q) {
      let select = db.selectFrom('verifications').selectAll().where('app', '=', q.app);
      if (q.environment !== undefined) select = select.where('environment', '=', q.environment);
      const rows = await select.orderBy('id', 'desc').limit(q.limit).execute();
      return rows.map(toRecord);
    },
  };
}

function toRecord(row: Selectable<VerificationsTable>): VerificationRecord {
  return {
    id: Number(row.id),
    app: row.app,
    environment: row.environment,
    release: row.release,
    deploymentId: row.deployment_id,
    atMs: Number(row.at_ms),
    passed: Number(row.passed) === 1,
    checks: (parseJsonColumn(row.checks_json) as VerificationCheck[] | undefined) ?? [],
    performance: (parseJsonColumn(row.performance_json) as PerformanceSample | undefined) ?? null,
  };
}
