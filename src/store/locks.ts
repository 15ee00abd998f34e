import type { Kysely, Selectable } from 'kysely';
import { isoAt } from '../core/clock.js';
import { ConflictError, LockHeldError } from '../core/errors.js';
import type { EnvironmentLocksTable, StoreDatabase } from './schema.js';

/** Who deploys to an environment right now: one deployment per (app, environment). */
export interface LockRecord {
  app: string;
  environment: string;
  /** user@hostname */
  holder: string;
  pid: number;
  hostname: string;
  deploymentId: string;
  acquiredAtMs: number;
}

export interface LockRequest {
  app: string;
  environment: string;
  holder: string;
  pid: number;
  hostname: string;
  deploymentId: string;
  atMs: number;
}

/** Decides whether a lock's holder is gone (e.g. its process no longer runs), so the lock may be taken over. */
export type IsLockStale = (lock: LockRecord) => boolean;

export interface LockAcquisition {
  acquired: true;
  /** The stale lock that was replaced, if any. */
  tookOverFrom?: LockRecord;
}

export interface LockRepository {
  /**
   * Takes the environment's lock, or takes it over when `isStale` says its holder is gone; otherwise throws
   * LockHeldError. Race-safe across processes sharing one store.
   */
  acquireLock(request: LockRequest, isStale: IsLockStale): Promise<LockAcquisition>;
  /**
   * Releases the lock only if `deploymentId` holds it (and, given `holder`, only if that process holds it: a
   * lock another process took over for the same deployment stays); answers whether it did.
   */
  releaseLock(
    app: string,
    environment: string,
    deploymentId: string,
    holder?: Pick<LockRecord, 'pid' | 'hostname'>,
  ): Promise<boolean>;
  getLock(app: string, environment: string): Promise<LockRecord | undefined>;
  /**
   * Removes the lock `lock` as it was read, whoever holds it (`slipway unlock`: its holder died on another
   * machine); false when it changed hands or was released since, so a lock taken meanwhile is never removed.
   */
  removeLock(lock: LockRecord): Promise<boolean>;
}

/** Each attempt loses only if another process changed the lock in between; this many means something is wrong. */
const MAX_LOCK_ATTEMPTS = 10;

export function createLockRepository(db: Kysely<StoreDatabase>): LockRepository {
  async function getLock(app: string, environment: string): Promise<LockRecord | undefined> {
    const row = await db
      .selectFrom('environment_locks')
      .selectAll()
      .where('app', '=', app)
      .where('environment', '=', environment)
      .executeTakeFirst();
    return row && toLockRecord(row);
  }

  /** Inserts the lock unless one exists; atomic thanks to the primary key. */
  async function insertLockIfFree(request: LockRequest): Promise<boolean> {
    const result = await db
      .insertInto('environment_locks')
      .values(toLockRow(request))
      .onConflict((oc) => oc.columns(['app', 'environment']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Compare-and-swap: replaces `current` only if nobody replaced or released it since we read it. */
  async function replaceLockIfUnchanged(current: LockRecord, request: LockRequest): Promise<boolean> {
    const result = await db
      .updateTable('environment_locks')
      .set(toLockRow(request))
      .where('app', '=', current.app)
      .where('environment', '=', current.environment)
      .where('deployment_id', '=', current.deploymentId)
      .where('pid', '=', current.pid)
      .where('hostname', '=', current.hostname)
      .where('acquired_at_ms', '=', current.acquiredAtMs)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  return {
    // Each statement is atomic on its own, so no transaction is held across awaits (with a synchronous
    // SQLite driver, a waiting writer would block the event loop of the process holding the transaction).
    async acquireLock(request, isStale) {
      for (let attempt = 1; attempt <= MAX_LOCK_ATTEMPTS; attempt++) {
        if (await insertLockIfFree(request)) return { acquired: true };
        const current = await getLock(request.app, request.environment);
        if (!current) continue; // released between our insert and our read
        if (!isStale(current)) {
          throw new LockHeldError(
            current.environment,
            current.holder,
            isoAt(current.acquiredAtMs),
            current.deploymentId,
          );
        }
        if (await replaceLockIfUnchanged(current, request)) return { acquired: true, tookOverFrom: current };
      }
      throw new ConflictError(
        `could not lock ${request.app} ${request.environment}: the lock changed hands ${MAX_LOCK_ATTEMPTS} times while we tried`,
        { hint: 'another process is taking and releasing this lock in a loop; try again' },
      );
    },

    async releaseLock(app, environment, deploymentId, holder) {
      let query = db
        .deleteFrom('environment_locks')
        .where('app', '=', app)
        .where('environment', '=', environment)
        .where('deployment_id', '=', deploymentId);
      if (holder) query = query.where('pid', '=', holder.pid).where('hostname', '=', holder.hostname);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    getLock,

    async removeLock(lock) {
      const result = await db
        .deleteFrom('environment_locks')
        .where('app', '=', lock.app)
        .where('environment', '=', lock.environment)
        .where('deployment_id', '=', lock.deploymentId)
        .where('pid', '=', lock.pid)
        .where('hostname', '=', lock.hostname)
        .where('acquired_at_ms', '=', lock.acquiredAtMs)
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
  };
}

function toLockRow(request: LockRequest): EnvironmentLocksTable {
  return {
    app: request.app,
    environment: request.environment,
    holder: request.holder,
    pid: request.pid,
    hostname: request.hostname,
    deployment_id: request.deploymentId,
    acquired_at_ms: request.atMs,
  };
}

function toLockRecord(row: Selectable<EnvironmentLocksTable>): LockRecord {
  return {
    app: row.app,
    environment: row.environment,
    holder: row.holder,
    pid: row.pid,
    hostname: row.hostname,
    deploymentId: row.deployment_id,
    acquiredAtMs: row.acquired_at_ms,
  };
}
