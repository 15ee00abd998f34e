import type { Kysely } from 'kysely';
import { parseJsonColumn, serializeJsonColumn } from './json-column.js';
import type { StoreDatabase } from './schema.js';
import { byteOrder } from './text-order.js';

export type SampleResolution = 'raw' | '1m' | '10m';

export interface MetricSampleRecord {
  app: string;
  environment: string;
  host: string;
  metric: string;
  /** '' for the host itself, else a release version or a target id. */
  subject: string;
  resolution: SampleResolution;
  atMs: number;
  value: number;
}

export interface ListSamplesQuery {
  app: string;
  environment: string;
  resolution?: SampleResolution;
  metric?: string;
  host?: string;
  sinceMs?: number;
  /** Exclusive. */
  beforeMs?: number;
}

export interface MonitorStateRecord {
  app: string;
  environment: string;
  /** e.g. `alert:<rule>`, `probe`, `crash-loop:<target>`. */
  key: string;
  state: string;
  sinceMs: number;
  updatedAtMs: number;
  data: unknown;
}

export interface ErrorGroupRecord {
  app: string;
  environment: string;
  release: string;
  /** '5xx', 'crash' or 'log'. */
  kind: string;
  /** What groups occurrences: `GET /path 500`, the exit code, the matched pattern. */
  fingerprint: string;
  count: number;
  firstAtMs: number;
  lastAtMs: number;
  /** The latest samples (requests, stderr tail, log lines). */
  sample: unknown;
}

export interface MonitoringRepository {
  /** Stores samples; one already stored (same series and time) is left as it is. */
  insertSamples(samples: readonly MetricSampleRecord[]): Promise<void>;
  /** Oldest first. */
  listSamples(query: ListSamplesQuery): Promise<MetricSampleRecord[]>;
  deleteSamples(query: {
    app: string;
    environment: string;
    resolution: SampleResolution;
    beforeMs: number;
  }): Promise<number>;
  listMonitorStates(app: string, environment: string): Promise<MonitorStateRecord[]>;
  putMonitorState(state: MonitorStateRecord): Promise<void>;
  /** Adds `count` occurrences to a group (created on first sight); the sample is replaced by the newer one. */
  addErrors(group: ErrorGroupRecord): Promise<void>;
  listErrorGroups(app: string, environment: string): Promise<ErrorGroupRecord[]>;
}

const CHUNK = 200;

export function createMonitoringRepository(db: Kysely<StoreDatabase>): MonitoringRepository {
  return {
    async insertSamples(samples) {
      for (let i = 0; i < samples.length; i += CHUNK) {
        const rows = samples.slice(i, i + CHUNK).map((s) => ({
          app: s.app,
          environment: s.environment,
          host: s.host,
          metric: s.metric,
          subject: s.subject,
          resolution: s.resolution,
          at_ms: s.atMs,
          value: s.value,
        }));
        await db
          .insertInto('metric_samples')
          .values(rows)
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    },

    async listSamples(q) {
      let select = db
        .selectFrom('metric_samples')
        .selectAll()
        .where('app', '=', q.app)
        .where('environment', '=', q.environment);
      if (q.resolution !== undefined) select = select.where('resolution', '=', q.resolution);
      if (q.metric !== undefined) select = select.where('metric', '=', q.metric);
      if (q.host !== undefined) select = select.where('host', '=', q.host);
      if (q.sinceMs !== undefined) select = select.where('at_ms', '>=', q.sinceMs);
      if (q.beforeMs !== undefined) select = select.where('at_ms', '<', q.beforeMs);
      const rows = await select.orderBy('at_ms', 'asc').execute();
      return rows.map((r) => ({
        app: r.app,
        environment: r.environment,
        host: r.host,
        metric: r.metric,
        subject: r.subject,
        resolution: r.resolution as SampleResolution,
        atMs: Number(r.at_ms),
        value: Number(r.value),
      }));
    },

    async deleteSamples(q) {
      const result = await db
        .deleteFrom('metric_samples')
        .where('app', '=', q.app)
        .where('environment', '=', q.environment)
        .where('resolution', '=', q.resolution)
        .where('at_ms', '<', q.beforeMs)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async listMonitorStates(app, environment) {
      const rows = await db
        .selectFrom('monitor_states')
        .selectAll()
        .where('app', '=', app)
        .where('environment', '=', environment)
        .orderBy(byteOrder(db, 'key'))
        .execute();
      return rows.map((r) => ({
        app: r.app,
        environment: r.environment,
        key: r.key,
        state: r.state,
        sinceMs: Number(r.since_ms),
        updatedAtMs: Number(r.updated_at_ms),
        data: parseJsonColumn(r.data_json),
      }));
    },

    async putMonitorState(s) {
      const values = {
        app: s.app,
        environment: s.environment,
        key: s.key,
        state: s.state,
        since_ms: s.sinceMs,
        updated_at_ms: s.updatedAtMs,
        data_json: serializeJsonColumn(s.data),
      };
      await db
        .insertInto('monitor_states')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['app', 'environment', 'key']).doUpdateSet({
            state: values.state,
            since_ms: values.since_ms,
            updated_at_ms: values.updated_at_ms,
            data_json: values.data_json,
          }),
        )
        .execute();
    },

    async addErrors(g) {
      const sample = serializeJsonColumn(g.sample);
      await db
        .insertInto('error_groups')
        .values({
          app: g.app,
          environment: g.environment,
          release: g.release,
          kind: g.kind,
          fingerprint: g.fingerprint,
          count: g.count,
          first_at_ms: g.firstAtMs,
          last_at_ms: g.lastAtMs,
          sample_json: sample,
        })
        .onConflict((oc) =>
          oc.columns(['app', 'environment', 'release', 'kind', 'fingerprint']).doUpdateSet((eb) => ({
            count: eb('error_groups.count', '+', g.count),
            last_at_ms: g.lastAtMs,
            sample_json: sample,
          })),
        )
        .execute();
    },

    async listErrorGroups(app, environment) {
      const rows = await db
        .selectFrom('error_groups')
        .selectAll()
        .where('app', '=', app)
        .where('environment', '=', environment)
        .orderBy('last_at_ms', 'desc')
        .execute();
      return rows.map((r) => ({
        app: r.app,
        environment: r.environment,
        release: r.release,
        kind: r.kind,
        fingerprint: r.fingerprint,
        count: Number(r.count),
        firstAtMs: Number(r.first_at_ms),
        lastAtMs: Number(r.last_at_ms),
        sample: parseJsonColumn(r.sample_json),
      }));
    },
  };
}
