import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load-loop.js';
import { PG_PASSWORD, startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import {
  createTestProject,
  expectOk,
  spawnCli,
  type CliResult,
  type TestProject,
} from '../helpers/project.js';

// Migrations against a real PostgreSQL (Debian's server, started here), through the real CLI, agent and router.

const TEAM = `team:
  alice: { roles: [deployer] }
  bob: { roles: [approver] }
`;
const DATABASE = `    database:
      urlSecret: DATABASE_URL
      backup: { retain: 10 }`;
const APPROVALS = '    approvals: { required: [{ role: approver, count: 1 }] }';
// The previous release stays warm long enough for the contract refusal to be checked on a busy machine.
const STRATEGY = '      kind: blue-green\n      keepWarm: 30s\n      drainTimeout: 2s';

interface LedgerEvent {
  kind: string;
  message: string;
  deploymentId: string | null;
  data: unknown;
}

interface Snapshot {
  n: number;
  sum: string;
}

describe('database migrations on PostgreSQL', () => {
  let db: TestPostgres;
  let project: TestProject;
  let env: Record<string, string>;
  const cli = (args: string[], extra: Record<string, string> = {}): Promise<CliResult> =>
    project.cli(args, { ...env, ...extra });
  const migration = (file: string, sql: string): void =>
    writeFileSync(join(project.dir, 'migrations', file), sql);
  const history = async (): Promise<LedgerEvent[]> =>
    JSON.parse(
      expectOk(await cli(['history', 'production', '--json', '--limit', '500'])).stdout,
    ) as LedgerEvent[];
  const columns = async (): Promise<string[]> =>
    (
      await db.query<{ c: string }>(
        'app',
        `SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'notes' ORDER BY ordinal_position`,
      )
    ).map((r) => r.c);
  const snapshot = async (database: string, maxId = 2 ** 31 - 1): Promise<Snapshot> => {
    const [row] = await db.query<{ n: number; sum: string }>(
      database,
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(id || ':' || body, ',' ORDER BY id), '')) AS sum
       FROM notes WHERE id <= $1`,
      [maxId],
    );
    return { n: row?.n ?? -1, sum: row?.sum ?? '' };
  };
  const appliedNames = async (): Promise<string[]> =>
    (await db.query<{ name: string }>('app', 'SELECT name FROM slipway_migrations ORDER BY name')).map(
      (r) => r.name,
    );
  const databaseStatus = async (): Promise<{ frozen: string | null; held: string[] }> => {
    const [status] = JSON.parse(expectOk(await cli(['status', 'production', '--json'])).stdout) as Array<{
      database: { frozen: string | null; held: string[] };
    }>;
    return status?.database ?? { frozen: 'missing', held: ['missing'] };
  };
  const served = async (): Promise<string> => (await fetch(`${project.url}/`)).headers.get('x-release') ?? '';

  beforeAll(async () => {
    db = await startTestPostgres();
    await db.createDatabase('app');
    env = { SLIPWAY_SECRET_DATABASE_URL: db.url('app') };
    project = await createTestProject();
    project.writeConfig(project.config({ environmentExtra: DATABASE, strategy: STRATEGY }) + TEAM);
    mkdirSync(join(project.dir, 'migrations'));
    migration('0001_notes.up.sql', 'CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);');
    expectOk(await cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await cli(['deploy', 'production', '--release', '1.0.0']));
    await db.query('app', `INSERT INTO notes (body) SELECT 'note ' || g FROM generate_series(1, 200) g`);
  }, 120_000);
  afterAll(async () => {
    await project?.dispose();
    await db?.stop();
  });

  it('deploys an additive migration under load: no failed request, data intact, verified backup restorable', async () => {
    migration(
      '0002_tag.up.sql',
      'ALTER TABLE notes ADD COLUMN tag text;\nCREATE INDEX notes_tag ON notes (tag);',
    );
    migration('0002_tag.down.sql', 'DROP INDEX notes_tag;\nALTER TABLE notes DROP COLUMN tag;');
    expectOk(await cli(['release', 'create', '--version', '2.0.0']));
    const plan = expectOk(await cli(['plan', 'production', '--release', '2.0.0'])).stdout;
    expect(plan).toMatch(/back up database[\s\S]*migrate database[\s\S]*start[\s\S]*switch/);
    expect(plan).toContain('run 0002_tag: expand (has a down migration)');
    expect(plan).toContain('ALTER TABLE notes ADD COLUMN tag text — adds a nullable column');
    expect(plan).toContain('CREATE INDEX notes_tag ON notes (tag) — adds an index');
    const before = await snapshot('app');

    // Users keep reading through the router and the app's data keeps being written during the deploy.
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    const writer = startWriter(db.url('app'));
    await load.warm();
    const deploy = expectOk(await cli(['deploy', 'production', '--release', '2.0.0']));
    const written = await writer.stop();
    const report = await load.stop();

    expect(deploy.stdout).toContain('2.0.0 is live in production');
    expect(report.failed).toBe(0);
    expect(report.failures).toEqual([]);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
    expect(written.errors).toEqual([]);
    expect(await columns()).toEqual(['id', 'body', 'tag']);
    expect(await appliedNames()).toEqual(['0001_notes', '0002_tag']);
    expect(await snapshot('app', 200)).toEqual(before);
    expect((await snapshot('app')).n).toBe(200 + written.count);

    const backups = JSON.parse(
      expectOk(await cli(['db', 'backups', 'production', '--json'])).stdout,
    ) as Array<{
      id: string;
      release: string;
      path: string;
      format: string;
    }>;
    const backup = backups.find((b) => b.release === '2.0.0');
    expect(backup?.format).toBe('pg_dump-custom');
    // Restorable: into a scratch database, where it holds exactly the rows the live one had up to that point.
    await db.createDatabase('scratch');
    await pgRestore(db, 'scratch', backup?.path ?? '');
    const [{ max } = { max: 0 }] = await db.query<{ max: number }>(
      'scratch',
      'SELECT max(id)::int AS max FROM notes',
    );
    const restored = await snapshot('scratch');
    expect(restored.n).toBeGreaterThanOrEqual(200);
    expect(restored).toEqual(await snapshot('app', max));
    const events = await history();
    expect(events.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['backup.created', 'migration.applied']),
    );
    // The password is a secret: never in plans, the ledger or output.
    const deployment = JSON.parse(expectOk(await cli(['plan', 'production', '--json'])).stdout) as unknown;
    for (const text of [
      plan,
      deploy.stdout,
      deploy.stderr,
      JSON.stringify(events),
      JSON.stringify(deployment),
    ])
      expect(text).not.toContain(PG_PASSWORD);
  }, 120_000);

  it('aborts a deploy whose migration fails half-way: schema and data as before, the old version serving', async () => {
    migration(
      '0003_broken.up.sql',
      "ALTER TABLE notes ADD COLUMN extra text;\nINSERT INTO notes (body) VALUES ('half-way');\nSELECT * FROM no_such_table;",
    );
    expectOk(await cli(['release', 'create', '--version', '3.0.0-broken']));
    rmSync(join(project.dir, 'migrations', '0003_broken.up.sql'));
    const before = { columns: await columns(), data: await snapshot('app') };

    const load = startLoad(project.url, { concurrency: 2, maxMs: 60_000 });
    await load.warm();
    const deploy = await cli(['deploy', 'production', '--release', '3.0.0-broken']);
    const report = await load.stop();

    expect(deploy.code).not.toBe(0);
    expect(deploy.stderr).toContain('migration 0003_broken failed and was rolled back');
    expect(deploy.stderr).toContain('no_such_table');
    expect(report.failed).toBe(0);
    expect(report.byRelease['3.0.0-broken']).toBeUndefined();
    expect(await served()).toBe('2.0.0');
    expect(await columns()).toEqual(before.columns);
    expect(await snapshot('app')).toEqual(before.data);
    expect(await appliedNames()).toEqual(['0001_notes', '0002_tag']);
    // No target of the broken release was ever started: the migration runs before anything starts.
    expect(deploy.stdout).not.toMatch(/start 3\.0\.0-broken/);
    expect((await history()).map((e) => e.kind)).toContain('migration.failed');
  }, 120_000);

  it('holds a destructive migration back until the old version is retired, then runs it after an approval', async () => {
    project.writeConfig(
      project.config({ environmentExtra: `${DATABASE}\n${APPROVALS}`, strategy: STRATEGY }) + TEAM,
    );
    migration('0004_drop_tag.up.sql', 'DROP INDEX notes_tag;\nALTER TABLE notes DROP COLUMN tag;');
    expectOk(await cli(['release', 'create', '--version', '4.0.0']));
    const plan = expectOk(await cli(['plan', 'production', '--release', '4.0.0'])).stdout;
    expect(plan).toContain('hold 0004_drop_tag: contract');
    expect(plan).toContain('ALTER TABLE notes DROP COLUMN tag — drops a column or constraint');

    const deploy = spawnCli(project, ['deploy', 'production', '--release', '4.0.0'], {
      ...env,
      SLIPWAY_USER: 'alice',
    });
    expectOk(
      await cli(['approve', await waitFor(history, 'approval.requested', '4.0.0')], { SLIPWAY_USER: 'bob' }),
    );
    expect(await deploy.done).toBe(0);
    expect(await served()).toBe('4.0.0');
    expect(await columns()).toContain('tag');
    expect((await history()).find((e) => e.kind === 'migration.held')?.message).toContain('0004_drop_tag');
    expect((await databaseStatus()).held).toEqual(['0004_drop_tag']);
    expect(expectOk(await cli(['status', 'production'])).stdout).toContain(
      'held contract migrations: 0004_drop_tag (slipway migrate production --contract)',
    );

    // 2.0.0 is still warm: the contract migration is refused, nothing changes.
    const early = await cli(['migrate', 'production', '--contract'], { SLIPWAY_USER: 'alice' });
    expect(early.code).not.toBe(0);
    expect(early.stderr).toMatch(
      /wait until no older release runs in production; still running: (.+, )?2\.0\.0 on local/,
    );
    expect(await columns()).toContain('tag');

    await waitUntilOnly(cli, '4.0.0');
    const migrate = spawnCli(project, ['migrate', 'production', '--contract'], {
      ...env,
      SLIPWAY_USER: 'alice',
    });
    const id = await waitFor(history, 'approval.requested', 'contract migrations 0004_drop_tag');
    expect(await columns()).toContain('tag'); // waits for the approval before changing anything
    expectOk(await cli(['approve', id], { SLIPWAY_USER: 'bob' }));
    expect(await migrate.done).toBe(0);
    expect(await columns()).toEqual(['id', 'body']);
    const phases = await db.query<{ name: string; phase: string }>(
      'app',
      'SELECT name, phase FROM slipway_migrations',
    );
    expect(phases).toContainEqual({ name: '0004_drop_tag', phase: 'contract' });
    expect((await databaseStatus()).held).toEqual([]);
    expect(await served()).toBe('4.0.0');
  }, 300_000);

  it('freezes the environment instead of rolling back across an irreversible migration', async () => {
    const rollback = await cli(['rollback', 'production', '--to', '2.0.0'], { SLIPWAY_USER: 'alice' });
    expect(rollback.code).not.toBe(0);
    expect(rollback.stderr).toContain('irreversible contract migration 0004_drop_tag');
    expect(await served()).toBe('4.0.0');
    const kinds = (await history()).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['environment.frozen', 'alert.raised']));
    expect((await databaseStatus()).frozen).toContain('irreversible contract migration 0004_drop_tag');
    const refused = await cli(['deploy', 'production', '--release', '4.0.0'], { SLIPWAY_USER: 'alice' });
    expect(refused.stderr).toContain('environment production is frozen');
    expectOk(
      await cli(['db', 'unfreeze', 'production', '--reason', 'fixing forward'], { SLIPWAY_USER: 'bob' }),
    );
    const status = JSON.parse(expectOk(await cli(['db', 'status', 'production', '--json'])).stdout) as {
      frozen: { frozen: boolean };
    };
    expect(status.frozen.frozen).toBe(false);
  }, 120_000);

  it('reports exactly the rows a restore would lose, asks for confirmation, then restores', async () => {
    const [latest] = JSON.parse(
      expectOk(await cli(['db', 'backups', 'production', '--json'])).stdout,
    ) as Array<{
      id: string;
    }>;
    await db.query('app', `INSERT INTO notes (body) VALUES ('after 1'), ('after 2'), ('after 3')`);
    const before = await snapshot('app');

    const unconfirmed = await cli(['db', 'restore', 'production', '--backup', latest?.id ?? '']);
    expect(unconfirmed.code).not.toBe(0);
    expect(unconfirmed.stderr).toContain('not restored: confirm with --yes');
    // The contract migration's record and the three new notes were written since the backup; the dropped column
    // does not make old rows count as changed.
    expect(unconfirmed.stdout).toContain('would lose 4 rows written since the backup');
    expect(unconfirmed.stdout).toContain('  notes: 3 lost');
    expect(unconfirmed.stdout).toContain('  slipway_migrations: 1 lost');
    expect(await snapshot('app')).toEqual(before);

    const restore = expectOk(
      await cli(['db', 'restore', 'production', '--backup', latest?.id ?? '', '--yes']),
    );
    expect(restore.stdout).toContain('restored');
    expect(await columns()).toEqual(['id', 'body', 'tag']);
    expect((await snapshot('app')).n).toBe(before.n - 3);
    expect(await appliedNames()).toEqual(['0001_notes', '0002_tag']);
    expect((await history()).map((e) => e.kind)).toContain('backup.restored');
  }, 120_000);
});

describe('two deploys racing to migrate one PostgreSQL database', () => {
  let db: TestPostgres;
  const projects: TestProject[] = [];

  beforeAll(async () => {
    db = await startTestPostgres();
    await db.createDatabase('shared');
    for (let i = 0; i < 2; i++) {
      const project = await createTestProject();
      project.writeConfig(
        project.config({
          environmentExtra: `    database:\n      url: ${db.url('shared').replace(`:${PG_PASSWORD}`, '')}`,
        }),
      );
      mkdirSync(join(project.dir, 'migrations'));
      // Slow on purpose, so the second deploy reaches the lock while the first holds it.
      writeFileSync(
        join(project.dir, 'migrations', '0001_runs.up.sql'),
        'CREATE TABLE runs (n int);\nSELECT pg_sleep(3);\nINSERT INTO runs VALUES (1);',
      );
      projects.push(project);
    }
  }, 120_000);
  afterAll(async () => {
    for (const p of projects) await p.dispose();
    await db?.stop();
  });

  it('makes the second wait on the lock; the migration runs once', async () => {
    const env = { PGPASSWORD: PG_PASSWORD };
    for (const p of projects) expectOk(await p.cli(['release', 'create', '--version', '1.0.0'], env));
    // Someone else holds the migration lock: a deploy waits on it (visible in pg_locks) and runs nothing.
    const holder = new pg.Client({ connectionString: db.url('shared') });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(7355608001)');
    const [first, second] = projects.map((p) =>
      spawnCli(p, ['deploy', 'production', '--release', '1.0.0'], env),
    );
    await waitUntil(async () => {
      const waiting = await db.query<{ n: number }>(
        'postgres',
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      return (waiting[0]?.n ?? 0) >= 1;
    });
    expect(await db.query('shared', `SELECT to_regclass('runs')::text AS t`)).toEqual([{ t: null }]);
    await holder.query('SELECT pg_advisory_unlock(7355608001)');
    await holder.end();

    expect(await first?.done).toBe(0);
    expect(await second?.done).toBe(0);
    expect(await db.query('shared', 'SELECT count(*)::int AS n FROM runs')).toEqual([{ n: 1 }]);
    expect(await db.query('shared', 'SELECT count(*)::int AS n FROM slipway_migrations')).toEqual([{ n: 1 }]);
    const applied = [];
    for (const p of projects) {
      const events = JSON.parse(expectOk(await p.cli(['history', '--json'])).stdout) as LedgerEvent[];
      applied.push(...events.filter((e) => e.kind === 'migration.applied'));
    }
    expect(applied).toHaveLength(1);
    const outputs = `${first?.stdout() ?? ''}${second?.stdout() ?? ''}`;
    expect(outputs).toMatch(
      /waited for the migration lock|already applied \(by another deploy\)|no migration runs/,
    );
  }, 180_000);
});

/** Inserts notes one after another until stopped (bounded in count and time). */
function startWriter(url: string): { stop(): Promise<{ count: number; errors: string[] }> } {
  let stopped = false;
  const result = { count: 0, errors: [] as string[] };
  const client = new pg.Client({ connectionString: url });
  const deadline = Date.now() + 60_000;
  const running = (async () => {
    await client.connect();
    while (!stopped && result.count < 20_000 && Date.now() < deadline) {
      try {
        await client.query(`INSERT INTO notes (body) VALUES ($1)`, [`written ${result.count}`]);
        result.count++;
      } catch (err) {
        result.errors.push(String(err));
        if (result.errors.length > 10) break;
      }
    }
    await client.end();
  })();
  return {
    stop: async () => {
      stopped = true;
      await running;
      return result;
    },
  };
}

function pgRestore(db: TestPostgres, database: string, file: string): Promise<void> {
  return new Promise((resolveRun, reject) => {
    execFile(
      'pg_restore',
      ['--no-owner', '--exit-on-error', `--dbname=postgres://slipway@127.0.0.1:${db.port}/${database}`, file],
      { env: { ...process.env, PGPASSWORD: PG_PASSWORD } },
      (error, _stdout, stderr) => (error ? reject(new Error(stderr)) : resolveRun()),
    );
  });
}

async function waitUntil(check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitFor(history: () => Promise<LedgerEvent[]>, kind: string, text: string): Promise<string> {
  let id = '';
  await waitUntil(async () => {
    const event = (await history()).find((e) => e.kind === kind && e.message.includes(text));
    id = event?.deploymentId ?? '';
    return id !== '';
  });
  return id;
}

/** Polls `slipway status` until no target of a release other than `release` runs (keepWarm ran out). */
async function waitUntilOnly(cli: (args: string[]) => Promise<CliResult>, release: string): Promise<void> {
  await waitUntil(async () => {
    const status = JSON.parse(expectOk(await cli(['status', 'production', '--json'])).stdout) as Array<{
      hosts: Array<{ targets: Array<{ release: string; state: string }> }>;
    }>;
    return !status.some((s) =>
      s.hosts.some((h) => h.targets.some((t) => t.release !== release && t.state !== 'stopped')),
    );
  }, 120_000);
}
