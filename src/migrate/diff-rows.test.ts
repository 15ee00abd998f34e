import { describe, expect, it } from 'vitest';
import { deriveComparedColumns, diffRowFingerprints } from './diff-rows.js';
import { deriveHeldMigrations } from './held-migrations.js';

const fp = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

describe('diffRowFingerprints', () => {
  it('counts rows written since the backup as lost, per table', () => {
    expect(
      diffRowFingerprints(fp({ a: ['1', '2'], b: ['x'] }), fp({ a: ['1', '2', '3', '4'], b: ['x'] })),
    ).toEqual([
      { table: 'a', lost: 2, restored: 0, dropped: false },
      { table: 'b', lost: 0, restored: 0, dropped: false },
    ]);
  });

  it('counts a changed row as one lost and one restored, and duplicates as many', () => {
    expect(diffRowFingerprints(fp({ a: ['1', '1', '2'] }), fp({ a: ['1', '1', '1', '3'] }))).toEqual([
      { table: 'a', lost: 2, restored: 1, dropped: false },
    ]);
  });

  it('reports tables created since the backup as dropped with all their rows, and vanished tables', () => {
    expect(diffRowFingerprints(fp({ old: ['1'] }), fp({ fresh: ['1', '2'] }))).toEqual([
      { table: 'fresh', lost: 2, restored: 0, dropped: true },
      { table: 'old', lost: 0, restored: 1, dropped: false },
    ]);
  });
});

describe('deriveComparedColumns', () => {
  it('compares shared tables on the columns both have, other tables on all of theirs', () => {
    const backup = new Map([
      ['notes', ['id', 'body', 'tag']],
      ['old', ['a']],
    ]);
    const live = new Map([
      ['notes', ['id', 'body', 'extra']],
      ['fresh', ['b']],
    ]);
    expect(deriveComparedColumns(backup, live)).toEqual({
      backup: new Map([
        ['notes', ['id', 'body']],
        ['old', ['a']],
      ]),
      live: new Map([
        ['notes', ['id', 'body']],
        ['fresh', ['b']],
      ]),
    });
  });
});

describe('deriveHeldMigrations', () => {
  it('lists the newest held migrations not applied since', () => {
    expect(
      deriveHeldMigrations([
        { seq: 1, kind: 'migration.held', data: { names: ['0003_a'] } },
        { seq: 5, kind: 'migration.held', data: { names: ['0004_b', '0005_c'] } },
        { seq: 6, kind: 'migration.applied', data: { name: '0004_b' } },
        { seq: 4, kind: 'migration.applied', data: { name: '0005_c' } },
      ]),
    ).toEqual(['0005_c']);
    expect(deriveHeldMigrations([])).toEqual([]);
  });
});
