import type { AppDatabase, RowFingerprints, TableColumns } from './app-database.js';

export interface TableLoss {
  table: string;
  /** Rows in the live database that the backup does not have: written (or changed) since, lost by a restore. */
  lost: number;
  /** Rows of the backup the live database no longer has (deleted or changed since): a restore brings them back. */
  restored: number;
  /** The table exists only in the live database (created since the backup): a restore drops it. */
  dropped: boolean;
}

/**
 * What restoring `backup` over `live` would lose, per table, comparing rows as multisets of row hashes (a row
 * changed since the backup counts as one lost and one restored). Pure.
 */
export function diffRowFingerprints(backup: RowFingerprints, live: RowFingerprints): TableLoss[] {
  const tables = [...new Set([...backup.keys(), ...live.keys()])].sort();
  return tables.map((table) => {
    const before = backup.get(table);
    const now = live.get(table) ?? [];
    if (!before) return { table, lost: now.length, restored: 0, dropped: true };
    const counts = new Map<string, number>();
    for (const h of before) counts.set(h, (counts.get(h) ?? 0) + 1);
    let lost = 0;
    for (const h of now) {
      const c = counts.get(h) ?? 0;
      if (c > 0) counts.set(h, c - 1);
      else lost++;
    }
    const restored = [...counts.values()].reduce((a, b) => a + b, 0);
    return { table, lost, restored, dropped: false };
  });
}

/**
 * The columns to compare each table on: those both sides have (a column dropped or added since the backup does
 * not make every row count as changed); a table on one side only is compared on all its columns. Pure.
 */
export function deriveComparedColumns(
  backup: TableColumns,
  live: TableColumns,
): { backup: TableColumns; live: TableColumns } {
  const pick = (mine: TableColumns, theirs: TableColumns): TableColumns =>
    new Map(
      [...mine].map(([table, cols]) => {
        const other = theirs.get(table);
        return [table, other ? cols.filter((c) => other.includes(c)) : cols];
      }),
    );
  return { backup: pick(backup, live), live: pick(live, backup) };
}

/** Restoring `file` over `db`: what would be lost, per table. Reads only. */
export async function measureRestoreLoss(db: AppDatabase, file: string): Promise<TableLoss[]> {
  return db.withBackupSnapshot(file, async (snapshot) => {
    const columns = deriveComparedColumns(await snapshot.listColumns(), await db.listColumns());
    return diffRowFingerprints(
      await snapshot.fingerprintRows(columns.backup),
      await db.fingerprintRows(columns.live),
    );
  });
}
