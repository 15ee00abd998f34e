import type { Kysely, Selectable, Updateable } from 'kysely';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { parseJsonColumn, serializeJsonColumn } from './json-column.js';
import type { DeploymentStepsTable, DeploymentsTable, StoreDatabase } from './schema.js';
import { byteOrder } from './text-order.js';

export type DeploymentKind = 'deploy' | 'rollback' | 'migrate';
export type DeploymentOutcome = 'succeeded' | 'failed' | 'rolled-back' | 'aborted';
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

/** One execution of a plan. Its phase while running is derived from the plan and its steps, not stored. */
export interface DeploymentRecord {
  id: string;
  app: string;
  environment: string;
  kind: DeploymentKind;
  releaseVersion: string;
  previousVersion: string | null;
  strategy: string;
  /** The plan being executed (JSON). */
  plan: unknown;
  createdBy: string;
  createdAtMs: number;
  reason: string | null;
  /** Null until the executor ends. */
  outcome: DeploymentOutcome | null;
  finishedAtMs: number | null;
  error: string | null;
}

export type NewDeployment = Omit<DeploymentRecord, 'reason' | 'outcome' | 'finishedAtMs' | 'error'> & {
  reason?: string | null;
};

export interface DeploymentFinish {
  outcome: DeploymentOutcome;
  finishedAtMs: number;
  error?: string | null;
}

export interface ListDeploymentsQuery {
  app: string;
  environment?: string;
  limit: number;
}

export interface StepRecord {
  deploymentId: string;
  index: number;
  status: StepStatus;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  error: string | null;
  /** What the step reported (JSON); undefined when it reported nothing. */
  output: unknown;
}

/** Fields left undefined keep their stored value; `error: null` clears it. */
export interface StepPatch {
  status: StepStatus;
  startedAtMs?: number;
  finishedAtMs?: number;
  error?: string | null;
  output?: unknown;
}

export interface DeploymentRepository {
  /** Throws ConflictError when the id is taken. */
  createDeployment(deployment: NewDeployment): Promise<DeploymentRecord>;
  getDeployment(id: string): Promise<DeploymentRecord | undefined>;
  /** Newest first. */
  listDeployments(query: ListDeploymentsQuery): Promise<DeploymentRecord[]>;
  /**
   * Writes the outcome once. Finishing again with the same outcome does nothing; with another outcome
   * it throws ConflictError (history is not rewritten). Throws NotFoundError for an unknown id.
   */
  finishDeployment(id: string, finish: DeploymentFinish): Promise<void>;
  /** Inserts or updates step `index` of a deployment. Throws NotFoundError for an unknown deployment. */
  recordStep(deploymentId: string, index: number, patch: StepPatch): Promise<void>;
  /** Ordered by index. */
  listSteps(deploymentId: string): Promise<StepRecord[]>;
}

export function createDeploymentRepository(db: Kysely<StoreDatabase>): DeploymentRepository {
  async function getDeployment(id: string): Promise<DeploymentRecord | undefined> {
    const row = await db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toDeploymentRecord(row);
  }

  async function requireDeployment(id: string): Promise<DeploymentRecord> {
    const deployment = await getDeployment(id);
    if (!deployment) throw new NotFoundError(`deployment ${id} not found`);
    return deployment;
  }

  // Deployments that this store created or found: a deployment is never deleted, so a step of one of them needs
  // no look-up (each step records twice; the foreign key still holds every step to its deployment).
  const known = new Set<string>();
  async function requireDeploymentExists(id: string): Promise<void> {
    if (known.has(id)) return;
    const row = await db.selectFrom('deployments').select('id').where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError(`deployment ${id} not found`);
    known.add(id);
  }

  return {
    async createDeployment(deployment) {
      const row = toDeploymentRow(deployment);
      const inserted = await db
        .insertInto('deployments')
        .values(row)
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) {
        throw new ConflictError(`deployment ${deployment.id} already exists`, {
          hint: 'deployment ids are unique: derive a new one',
        });
      }
      known.add(deployment.id);
      return toDeploymentRecord(row);
    },

    getDeployment,

    async listDeployments(query) {
      let select = db.selectFrom('deployments').selectAll().where('app', '=', query.app);
      if (query.environment !== undefined) select = select.where('environment', '=', query.environment);
      const rows = await select
        .orderBy('created_at_ms', 'desc')
        .orderBy(byteOrder(db, 'id'), 'desc')
        .limit(query.limit)
        .execute();
      return rows.map(toDeploymentRecord);
    },

    async finishDeployment(id, finish) {
      const updated = await db
        .updateTable('deployments')
        .set({ outcome: finish.outcome, finished_at_ms: finish.finishedAtMs, error: finish.error ?? null })
        .where('id', '=', id)
        .where('outcome', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 1) return;
      const existing = await requireDeployment(id);
      if (existing.outcome === finish.outcome) return;
      throw new ConflictError(`deployment ${id} already finished as ${existing.outcome ?? 'unknown'}`, {
        hint: `a finished deployment is history; it cannot become ${finish.outcome}`,
      });
    },

    async recordStep(deploymentId, index, patch) {
      await requireDeploymentExists(deploymentId);
      const changes: Updateable<DeploymentStepsTable> = { status: patch.status };
      if (patch.startedAtMs !== undefined) changes.started_at_ms = patch.startedAtMs;
      if (patch.finishedAtMs !== undefined) changes.finished_at_ms = patch.finishedAtMs;
      if (patch.error !== undefined) changes.error = patch.error;
      if (patch.output !== undefined) changes.output_json = serializeJsonColumn(patch.output);
      await db
        .insertInto('deployment_steps')
        .values({
          deployment_id: deploymentId,
          idx: index,
          status: patch.status,
          started_at_ms: patch.startedAtMs ?? null,
          finished_at_ms: patch.finishedAtMs ?? null,
          error: patch.error ?? null,
          output_json: serializeJsonColumn(patch.output),
        })
        .onConflict((oc) => oc.columns(['deployment_id', 'idx']).doUpdateSet(changes))
        .execute();
    },

    async listSteps(deploymentId) {
      const rows = await db
        .selectFrom('deployment_steps')
        .selectAll()
        .where('deployment_id', '=', deploymentId)
        .orderBy('idx', 'asc')
        .execute();
      return rows.map(toStepRecord);
    },
  };
}

function toDeploymentRow(deployment: NewDeployment): DeploymentsTable {
  return {
    id: deployment.id,
    app: deployment.app,
    environment: deployment.environment,
    kind: deployment.kind,
    release_version: deployment.releaseVersion,
    previous_version: deployment.previousVersion,
    strategy: deployment.strategy,
    plan_json: serializeJsonColumn(deployment.plan) ?? 'null',
    created_by: deployment.createdBy,
    created_at_ms: deployment.createdAtMs,
    reason: deployment.reason ?? null,
    outcome: null,
    finished_at_ms: null,
    error: null,
  };
}

function toDeploymentRecord(row: Selectable<DeploymentsTable>): DeploymentRecord {
  return {
    id: row.id,
    app: row.app,
    environment: row.environment,
    kind: row.kind as DeploymentKind,
    releaseVersion: row.release_version,
    previousVersion: row.previous_version,
    strategy: row.strategy,
    plan: parseJsonColumn(row.plan_json),
    createdBy: row.created_by,
    createdAtMs: row.created_at_ms,
    reason: row.reason,
    outcome: row.outcome as DeploymentOutcome | null,
    finishedAtMs: row.finished_at_ms,
    error: row.error,
  };
}

function toStepRecord(row: Selectable<DeploymentStepsTable>): StepRecord {
  return {
    deploymentId: row.deployment_id,
    index: row.idx,
    status: row.status as StepStatus,
    startedAtMs: row.started_at_ms,
    finishedAtMs: row.finished_at_ms,
    error: row.error,
    output: parseJsonColumn(row.output_json),
  };
}
