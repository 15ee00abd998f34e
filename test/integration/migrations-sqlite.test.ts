import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load-loop.js';
import { createTestProject, expectOk, spawnCli, type TestProject } from '../helpers/project.js';

// Migrations of a SQLite database (a file beside slipway.yml) through the real CLI, agent and router.

const DATABASE = `    database:
      url: data/app.db`;

interface Snapshot {
  n: number;
  sum: string;
}

describe('database migrations on SQLite', () => {
  let project: TestProject;
  let file: string;
  const migration = (name: string, sql: string): void =>
    writeFileSync(join(project.dir, 'migrations', name), sql);
  const withDb = <T>(path: string, fn: (db: Database.Database) => T): T => {
    const db = new Database(path);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  const snapshot = (path: string, maxId = Number.MAX_SAFE_INTEGER): Snapshot =>
    withDb(path, (db) => {
      const rows = db.prepare('SELECT id, body FROM notes WHERE id <= ? ORDER BY id').all(maxId) as Array<{
        id: number;
        body: string;
      }>;
      return { n: rows.length, sum: rows.map((r) => `${r.id}:${r.body}`).join(',') };
    });
  const columns = (): string[] =>
    withDb(file, (db) =>
      (db.prepare(`SELECT name FROM pragma_table_info('notes')`).all() as Array<{ name: string }>).map(
        (c) => c.name,
      ),
    );
  const tableExists = (name: string): boolean =>
    withDb(file, (db) => db.prepare(`SELECT 1 FROM sqlite_master WHERE name = ?`).get(name) !== undefined);
  const backups = async () =>
    JSON.parse(expectOk(await project.cli(['db', 'backups', 'production', '--json'])).stdout) as Array<{
      id: string;
      release: string;
      path: string;
      format: string;
    }>;

  beforeAll(async () => {
    project = await createTestProject();
    file = join(project.dir, 'data', 'app.db');
    mkdirSync(join(project.dir, 'data'));
    project.writeConfig(project.config({ environmentExtra: DATABASE }));
    mkdirSync(join(project.dir, 'migrations'));
    migration('0001_notes.up.sql', 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);');
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    withDb(file, (db) => {
      const insert = db.prepare('INSERT INTO notes (body) VALUES (?)');
      for (let i = 1; i <= 100; i++) insert.run(`note ${i}`);
    });
  }, 120_000);
  afterAll(async () => project?.dispose());

  it('deploys an additive migration under load with a verified, restorable backup', async () => {
    migration('0002_tag.up.sql', 'ALTER TABLE notes ADD COLUMN tag TEXT;');
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    const plan = expectOk(await project.cli(['plan', 'production', '--release', '2.0.0'])).stdout;
    expect(plan).toContain(`back up ${file} (SQLite online backup, checked with integrity_check)`);
    expect(plan).toContain('ALTER TABLE notes ADD COLUMN tag TEXT — adds a nullable column');
    const before = snapshot(file);

    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    const writer = startWriter(file);
    await load.warm();
    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    const written = await writer.stop();
    const report = await load.stop();

    expect(report.failed).toBe(0);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
    expect(written.errors).toEqual([]);
    expect(columns()).toEqual(['id', 'body', 'tag']);
    expect(snapshot(file, 100)).toEqual(before);
    expect(snapshot(file).n).toBe(100 + written.count);
    const backup = (await backups()).find((b) => b.release === '2.0.0');
    expect(backup?.format).toBe('sqlite');
    // The backup is a database of its own: the rows the live one had up to that point, without the new column.
    const inBackup = snapshot(backup?.path ?? '');
    const maxId = withDb(
      backup?.path ?? '',
      (db) => (db.prepare('SELECT max(id) AS m FROM notes').get() as { m: number }).m,
    );
    expect(inBackup).toEqual(snapshot(file, maxId));
    expect(withDb(backup?.path ?? '', (db) => db.pragma('integrity_check', { simple: true }))).toBe('ok');
  }, 120_000);

  it('aborts a deploy whose migration fails half-way; the old version keeps serving', async () => {
    migration(
      '0003_broken.up.sql',
      "ALTER TABLE notes ADD COLUMN extra TEXT;\nINSERT INTO notes (body) VALUES ('half');\nSELECT * FROM no_such_table;",
    );
    expectOk(await project.cli(['release', 'create', '--version', '3.0.0-broken']));
    rmSync(join(project.dir, 'migrations', '0003_broken.up.sql'));
    const before = { columns: columns(), data: snapshot(file) };
    const deploy = await project.cli(['deploy', 'production', '--release', '3.0.0-broken']);
    expect(deploy.code).not.toBe(0);
    expect(deploy.stderr).toContain(
      'migration 0003_broken failed and was rolled back: no such table: no_such_table',
    );
    expect(columns()).toEqual(before.columns);
    expect(snapshot(file)).toEqual(before.data);
    expect((await fetch(`${project.url}/`)).headers.get('x-release')).toBe('2.0.0');
  }, 120_000);

  it('waits for the migration lock row another migrator holds, then migrates', async () => {
    migration('0004_audit.up.sql', 'CREATE TABLE audit (at TEXT);');
    expectOk(await project.cli(['release', 'create', '--version', '4.0.0']));
    withDb(file, (db) =>
      db
        .prepare('INSERT INTO slipway_migration_lock VALUES (1, ?, ?, ?, ?)')
        .run('the test', process.pid, hostname(), Date.now()),
    );
    const deploy = spawnCli(project, ['deploy', 'production', '--release', '4.0.0']);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [status] = JSON.parse(
        expectOk(await project.cli(['status', 'production', '--json'])).stdout,
      ) as Array<{
        lastDeployment: { release: string; currentStep: string | null } | null;
      }>;
      if (
        status?.lastDeployment?.release === '4.0.0' &&
        status.lastDeployment.currentStep?.startsWith('migrate database')
      )
        break;
      if (Date.now() > deadline) throw new Error('the deploy never reached its migrate step');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(tableExists('audit')).toBe(false);
    withDb(file, (db) => db.prepare('DELETE FROM slipway_migration_lock').run());
    expect(await deploy.done).toBe(0);
    expect(deploy.stdout()).toContain('waited for the migration lock of the test');
    expect(tableExists('audit')).toBe(true);
  }, 120_000);

  it('reports exactly the rows a restore would lose, and restores only when confirmed', async () => {
    const [latest] = await backups();
    withDb(file, (db) => db.prepare(`INSERT INTO notes (body) VALUES ('late 1'), ('late 2')`).run());
    const refused = await project.cli(['db', 'restore', 'production', '--backup', latest?.id ?? '']);
    expect(refused.code).not.toBe(0);
    // Since the backup before 4.0.0's migration: two notes, the audit table (empty) and its migration record.
    expect(refused.stdout).toContain('would lose 3 rows written since the backup');
    expect(refused.stdout).toContain('  notes: 2 lost');
    expect(refused.stdout).toContain('  audit: 0 lost (table created since the backup: dropped)');
    expect(refused.stdout).toContain('  slipway_migrations: 1 lost');
    expect(tableExists('audit')).toBe(true);
    const before = snapshot(file).n;
    expectOk(await project.cli(['db', 'restore', 'production', '--backup', latest?.id ?? '', '--yes']));
    expect(snapshot(file).n).toBe(before - 2);
    expect(tableExists('audit')).toBe(false);
  }, 120_000);

  it('rolls back code keeping the schema, and runs down migrations only when asked', async () => {
    migration('0005_flag.up.sql', 'ALTER TABLE notes ADD COLUMN flag TEXT;');
    migration('0005_flag.down.sql', 'ALTER TABLE notes DROP COLUMN flag;');
    expectOk(await project.cli(['release', 'create', '--version', '5.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '5.0.0']));
    expect(columns()).toContain('flag');
    const applied = (): string[] =>
      withDb(file, (db) =>
        (
          db.prepare('SELECT name FROM slipway_migrations ORDER BY name').all() as Array<{ name: string }>
        ).map((r) => r.name),
      );
    expect(applied()).toContain('0005_flag');

    // An expand migration stays when the code goes back: the older release works with the extra column.
    expectOk(await project.cli(['rollback', 'production', '--to', '4.0.0']));
    expect((await fetch(`${project.url}/`)).headers.get('x-release')).toBe('4.0.0');
    expect(columns()).toContain('flag');
    expect(applied()).toContain('0005_flag');

    expectOk(await project.cli(['deploy', 'production', '--release', '5.0.0']));
    const backupsBefore = await backups();
    const down = expectOk(await project.cli(['rollback', 'production', '--to', '4.0.0', '--down']));
    expect(down.stdout).toContain('reverted 0005_flag');
    expect((await fetch(`${project.url}/`)).headers.get('x-release')).toBe('4.0.0');
    expect(columns()).not.toContain('flag');
    expect(applied()).not.toContain('0005_flag');
    // A backup was taken first (with the rollback's release), and retention (5 by default) pruned the oldest.
    const after = await backups();
    expect(after[0]?.release).toBe('4.0.0');
    expect(after[0]?.id).not.toBe(backupsBefore[0]?.id);
    expect(after).toHaveLength(Math.min(5, backupsBefore.length + 1));
  }, 120_000);
});

describe('a migration command instead of SQL files', () => {
  let project: TestProject;
  beforeAll(async () => {
    project = await createTestProject();
    mkdirSync(join(project.dir, 'data'));
    project.writeConfig(
      project.config({
        environmentExtra: `    database:\n      url: data/app.db\n      migrations: { command: "node migrate.js" }`,
      }),
    );
  }, 60_000);
  afterAll(async () => project?.dispose());

  const script = (exitCode: number, tag: string): void =>
    writeFileSync(
      join(project.dir, 'migrate.js'),
      `import { appendFileSync } from 'node:fs';\n` +
        `appendFileSync(process.env.DATABASE_URL + '.log', [process.env.SLIPWAY_RELEASE, process.env.GREETING, '${tag}'].join(' ') + '\\n');\n` +
        `process.exit(${exitCode});\n`,
    );

  it("runs the release's own command with its env and DATABASE_URL before traffic moves; a failure aborts", async () => {
    script(0, 'from-artifact');
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    script(0, 'from-working-tree'); // the deploy must run the release's copy, not this one
    const plan = expectOk(await project.cli(['plan', 'production', '--release', '1.0.0'])).stdout;
    expect(plan).toContain('run "node migrate.js" from release 1.0.0');
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    const log = join(project.dir, 'data', 'app.db.log');
    expect(readFileSync(log, 'utf8')).toBe('1.0.0 Hello from-artifact\n');

    script(3, 'failing');
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0-broken']));
    const deploy = await project.cli(['deploy', 'production', '--release', '2.0.0-broken']);
    expect(deploy.code).not.toBe(0);
    expect(deploy.stderr).toContain('the migration command failed (exit 3): node migrate.js');
    expect(deploy.stdout).not.toMatch(/start 2\.0\.0-broken/);
    expect((await fetch(`${project.url}/`)).headers.get('x-release')).toBe('1.0.0');
  }, 120_000);
});

/** Inserts notes one after another until stopped (bounded in count and time), as the app would. */
function startWriter(path: string): { stop(): Promise<{ count: number; errors: string[] }> } {
  let stopped = false;
  const result = { count: 0, errors: [] as string[] };
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  const deadline = Date.now() + 60_000;
  const running = (async () => {
    while (!stopped && result.count < 20_000 && Date.now() < deadline) {
      try {
        db.prepare('INSERT INTO notes (body) VALUES (?)').run(`written ${result.count}`);
        result.count++;
      } catch (err) {
        result.errors.push(String(err));
        if (result.errors.length > 10) break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    db.close();
  })();
  return {
    stop: async () => {
      stopped = true;
      await running;
      return result;
    },
  };
}
