import type { Kysely, Selectable, Updateable } from 'kysely';
import type { JobKind, JobRecord, JobState } from '../server/jobs/job-runner.js';
import { parseJsonColumn } from './json-column.js';
import type { StoreDialectName } from './migrations.js';
import type { ServerJobsTable, ServerReplicasTable, StoreDatabase } from './schema.js';

export type NewServerJob = Pick<
  JobRecord,
  'id' | 'kind' | 'environment' | 'payload' | 'requestedBy' | 'createdAtMs'
> & { app: string };

export interface ListServerJobsQuery {
  app: string;
  environment?: string;
  state?: JobState;
  limit: number;
  /** Oldest first (the queue's order: the order of enqueueing); default newest first. */
  oldestFirst?: boolean;
}

export interface ServerJobFinish {
  state: 'succeeded' | 'failed';
  finishedAtMs: number;
  error: string | null;
  release?: string | null;
}

/** A server process working on the store; its heartbeat says it is alive. */
export interface ReplicaRecord {
  id: string;
  hostname: string;
  pid: number;
  startedAtMs: number;
  heartbeatAtMs: number;
  stoppedAtMs: number | null;
}

/**
 * The server's jobs and replicas. Every change of a job's owner is one compare-and-swap statement (`update …
 * where <the state we read>`), so that two replicas racing for a job cannot both win, on SQLite as on
 * PostgreSQL, and no transaction is held across awaits. A write made by an owner names the owner: a replica
 * that lost its job (taken over while it was presumed dead) cannot change it any more.
 */
export interface ServerJobRepository {
  insertServerJob(job: NewServerJob): Promise<void>;
  getServerJob(id: string): Promise<JobRecord | undefined>;
  listServerJobs(query: ListServerJobsQuery): Promise<JobRecord[]>;
  /** queued → running, owned by `owner`; false when another replica claimed it first. */
  claimServerJob(id: string, owner: string, atMs: number): Promise<boolean>;
  /**
   * Gives a running job to `owner` if it still has the owner and heartbeat we read and that heartbeat is at
   * least `takeoverAfterMs` old at `atMs` (its owner went silent); counts the takeover. False when another
   * replica took it, its owner heartbeated since, or the heartbeat is not stale.
   */
  takeOverServerJob(
    seen: { id: string; owner: string; heartbeatAtMs: number },
    takeover: { owner: string; atMs: number; takeoverAfterMs: number },
  ): Promise<boolean>;
  /** False when the job is no longer this owner's running job (taken over, finished). */
  heartbeatServerJob(id: string, owner: string, atMs: number): Promise<boolean>;
  recordServerJobDeployment(id: string, owner: string, deploymentId: string): Promise<boolean>;
  /** running → queued (it must wait its turn: the environment is locked), before it changed anything. */
  requeueServerJob(id: string, owner: string): Promise<boolean>;
  finishServerJob(id: string, owner: string, finish: ServerJobFinish): Promise<boolean>;
  /** Inserts or refreshes this replica's row. */
  heartbeatReplica(replica: Omit<ReplicaRecord, 'stoppedAtMs'>): Promise<void>;
  stopReplica(id: string, atMs: number): Promise<void>;
  getReplica(id: string): Promise<ReplicaRecord | undefined>;
  listReplicas(): Promise<ReplicaRecord[]>;
}

export function createServerJobRepository(db: Kysely<StoreDatabase>): ServerJobRepository {
  const updated = (result: { numUpdatedRows: bigint }): boolean => Number(result.numUpdatedRows) === 1;
  /** Changes a running job only while `owner` still owns it (a replica presumed dead may not write any more). */
  const updateOwnRunningJob = async (
    id: string,
    owner: string,
    values: Updateable<ServerJobsTable>,
  ): Promise<boolean> =>
    updated(
      await db
        .updateTable('server_jobs')
        .set(values)
        .where('id', '=', id)
        .where('owner', '=', owner)
        .where('state', '=', 'running')
        .executeTakeFirst(),
    );

  return {
    async insertServerJob(job) {
      await db
        .insertInto('server_jobs')
        .values({
          id: job.id,
          app: job.app,
          kind: job.kind,
          environment: job.environment,
          payload_json: JSON.stringify(job.payload ?? {}),
          state: 'queued',
          requested_by: job.requestedBy,
          created_at_ms: job.createdAtMs,
          owner: null,
          started_at_ms: null,
          heartbeat_at_ms: null,
          finished_at_ms: null,
          deployment_id: null,
          release: null,
          error: null,
          takeovers: 0,
        })
        .execute();
    },

    async getServerJob(id) {
      const row = await db.selectFrom('server_jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toJobRecord(row);
    },

    async listServerJobs(query) {
      let select = db.selectFrom('server_jobs').selectAll().where('app', '=', query.app);
      if (query.environment !== undefined) select = select.where('environment', '=', query.environment);
      if (query.state !== undefined) select = select.where('state', '=', query.state);
      const order = query.oldestFirst ? 'asc' : 'desc';
      const rows = await select.orderBy('seq', order).limit(query.limit).execute();
      return rows.map(toJobRecord);
    },

    async claimServerJob(id, owner, atMs) {
      const result = await db
        .updateTable('server_jobs')
        .set({ state: 'running', owner, started_at_ms: atMs, heartbeat_at_ms: atMs })
        .where('id', '=', id)
        .where('state', '=', 'queued')
        .executeTakeFirst();
      return updated(result);
    },

    async takeOverServerJob(seen, { owner, atMs, takeoverAfterMs }) {
      const result = await db
        .updateTable('server_jobs')
        .set((eb) => ({ owner, heartbeat_at_ms: atMs, takeovers: eb('takeovers', '+', 1) }))
        .where('id', '=', seen.id)
        .where('state', '=', 'running')
        .where('owner', '=', seen.owner)
        .where('heartbeat_at_ms', '=', seen.heartbeatAtMs)
        .where('heartbeat_at_ms', '<=', atMs - takeoverAfterMs)
        .executeTakeFirst();
      return updated(result);
    },

    heartbeatServerJob(id, owner, atMs) {
      return updateOwnRunningJob(id, owner, { heartbeat_at_ms: atMs });
    },

    recordServerJobDeployment(id, owner, deploymentId) {
      return updateOwnRunningJob(id, owner, { deployment_id: deploymentId });
    },

    requeueServerJob(id, owner) {
      return updateOwnRunningJob(id, owner, {
        state: 'queued',
        owner: null,
        started_at_ms: null,
        heartbeat_at_ms: null,
      });
    },

    finishServerJob(id, owner, finish) {
      return updateOwnRunningJob(id, owner, {
        state: finish.state,
        finished_at_ms: finish.finishedAtMs,
        error: finish.error,
        ...(finish.release !== undefined ? { release: finish.release } : {}),
      });
    },

    async heartbeatReplica(replica) {
      await db
        .insertInto('server_replicas')
        .values({
          id: replica.id,
          hostname: replica.hostname,
          pid: replica.pid,
          started_at_ms: replica.startedAtMs,
          heartbeat_at_ms: replica.heartbeatAtMs,
          stopped_at_ms: null,
        })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            hostname: replica.hostname,
            pid: replica.pid,
            started_at_ms: replica.startedAtMs,
            heartbeat_at_ms: replica.heartbeatAtMs,
            stopped_at_ms: null,
          }),
        )
        .execute();
    },

    async stopReplica(id, atMs) {
      await db.updateTable('server_replicas').set({ stopped_at_ms: atMs }).where('id', '=', id).execute();
    },

    async getReplica(id) {
      const row = await db.selectFrom('server_replicas').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toReplicaRecord(row);
    },

    async listReplicas() {
      const rows = await db.selectFrom('server_replicas').selectAll().orderBy('id').execute();
      return rows.map(toReplicaRecord);
    },
  };
}

/** Migration 0010_server_jobs: the job queue and the replicas working on it. */
export async function createServerJobTables(db: Kysely<unknown>, dialect: StoreDialectName): Promise<void> {
  await db.schema
    .createTable('server_jobs')
    // The queue's order: jobs enqueued in the same millisecond still run in the order they were enqueued.
    .addColumn('seq', dialect === 'sqlite' ? 'integer' : 'bigint', (c) =>
      dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity(),
    )
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('environment', 'text')
    .addColumn('payload_json', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('started_at_ms', 'bigint')
    .addColumn('heartbeat_at_ms', 'bigint')
    .addColumn('finished_at_ms', 'bigint')
    .addColumn('deployment_id', 'text')
    .addColumn('release', 'text')
    .addColumn('error', 'text')
    .addColumn('takeovers', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('server_jobs_by_state')
    .on('server_jobs')
    .columns(['app', 'state', 'seq'])
    .execute();
  await db.schema
    .createIndex('server_jobs_by_environment')
    .on('server_jobs')
    .columns(['app', 'environment', 'seq'])
    .execute();
  await db.schema
    .createTable('server_replicas')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('started_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('heartbeat_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('stopped_at_ms', 'bigint')
    .execute();
}

const nullableMs = (value: number | null): number | null => (value === null ? null : Number(value));

function toJobRecord(row: Omit<Selectable<ServerJobsTable>, 'seq'>): JobRecord {
  return {
    id: row.id,
    kind: row.kind as JobKind,
    environment: row.environment,
    payload: parseJsonColumn(row.payload_json) ?? {},
    state: row.state as JobState,
    requestedBy: row.requested_by,
    createdAtMs: Number(row.created_at_ms),
    owner: row.owner,
    startedAtMs: nullableMs(row.started_at_ms),
    heartbeatAtMs: nullableMs(row.heartbeat_at_ms),
    finishedAtMs: nullableMs(row.finished_at_ms),
    deploymentId: row.deployment_id,
    release: row.release,
    error: row.error,
    takeovers: Number(row.takeovers),
  };
}

function toReplicaRecord(row: Selectable<ServerReplicasTable>): ReplicaRecord {
  return {
    id: row.id,
    hostname: row.hostname,
    pid: Number(row.pid),
    startedAtMs: Number(row.started_at_ms),
    heartbeatAtMs: Number(row.heartbeat_at_ms),
    stoppedAtMs: nullableMs(row.stopped_at_ms),
  };
}
