import type { Kysely, Selectable } from 'kysely';
import { ConflictError } from '../core/errors.js';
import { parseJsonColumn, serializeJsonColumn } from './json-column.js';
import type { ReleasesTable, StoreDatabase } from './schema.js';
import { byteOrder } from './text-order.js';

/** An immutable, versioned artifact of an app plus the config snapshot it runs with. */
export interface ReleaseRecord {
  app: string;
  version: string;
  sha256: string;
  artifactPath: string;
  sizeBytes: number;
  /** The config snapshot the release runs with (JSON). */
  config: unknown;
  createdBy: string;
  createdAtMs: number;
  /** Where it came from, e.g. a commit or a CI run. */
  source: string | null;
}

export type NewRelease = Omit<ReleaseRecord, 'source'> & { source?: string | null };

export interface CreateReleaseResult {
  /** False when this exact artifact (same version and sha256) was already stored; `release` is that one. */
  created: boolean;
  release: ReleaseRecord;
}

export interface ReleaseRepository {
  /** Stores a release once; throws ConflictError when the version exists with another artifact. */
  createRelease(release: NewRelease): Promise<CreateReleaseResult>;
  getRelease(app: string, version: string): Promise<ReleaseRecord | undefined>;
  /** Newest first. */
  listReleases(app: string): Promise<ReleaseRecord[]>;
}

export function createReleaseRepository(db: Kysely<StoreDatabase>): ReleaseRepository {
  async function getRelease(app: string, version: string): Promise<ReleaseRecord | undefined> {
    const row = await db
      .selectFrom('releases')
      .selectAll()
      .where('app', '=', app)
      .where('version', '=', version)
      .executeTakeFirst();
    return row && toReleaseRecord(row);
  }

  return {
    async createRelease(release) {
      // Insert-or-nothing is atomic, so two processes creating one version cannot both "create" it.
      const row = toReleaseRow(release);
      const inserted = await db
        .insertInto('releases')
        .values(row)
        .onConflict((oc) => oc.columns(['app', 'version']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
        return { created: true, release: toReleaseRecord(row) };
      }
      // Releases are never deleted, so the row that won the insert is still there.
      const stored = toReleaseRecord(
        await db
          .selectFrom('releases')
          .selectAll()
          .where('app', '=', release.app)
          .where('version', '=', release.version)
          .executeTakeFirstOrThrow(),
      );
      if (stored.sha256 === release.sha256) return { created: false, release: stored };
      throw new ConflictError(
        `release ${release.app} ${release.version} already exists with sha256 ${shortHash(stored.sha256)}; ` +
          `this artifact is ${shortHash(release.sha256)}`,
        { hint: 'releases are immutable: choose a new version for a different artifact' },
      );
    },

    getRelease,

    async listReleases(app) {
      const rows = await db
        .selectFrom('releases')
        .selectAll()
        .where('app', '=', app)
        .orderBy('created_at_ms', 'desc')
        .orderBy(byteOrder(db, 'version'), 'desc')
        .execute();
      return rows.map(toReleaseRecord);
    },
  };
}

export function shortHash(sha256: string): string {
  return sha256.slice(0, 12);
}

function toReleaseRow(release: NewRelease): ReleasesTable {
  return {
    app: release.app,
    version: release.version,
    sha256: release.sha256,
    artifact_path: release.artifactPath,
    size_bytes: release.sizeBytes,
    config_json: serializeJsonColumn(release.config) ?? 'null',
    created_by: release.createdBy,
    created_at_ms: release.createdAtMs,
    source: release.source ?? null,
  };
}

function toReleaseRecord(row: Selectable<ReleasesTable>): ReleaseRecord {
  return {
    app: row.app,
    version: row.version,
    sha256: row.sha256,
    artifactPath: row.artifact_path,
    sizeBytes: row.size_bytes,
    config: parseJsonColumn(row.config_json),
    createdBy: row.created_by,
    createdAtMs: row.created_at_ms,
    source: row.source,
  };
}
