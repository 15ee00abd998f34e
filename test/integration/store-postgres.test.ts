import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_PASSWORD, startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';

// The control plane's store on a real PostgreSQL (Debian's server, started here), through the real CLI, agent
// and router: a deploy of examples/hello is recorded there and read back by `history` and `status`.

interface LedgerEvent {
  kind: string;
  deploymentId: string | null;
  release: string | null;
}

interface Status {
  lastDeployment: { id: string; release: string; phase: string } | null;
  hosts: Array<{ route: { active: string } | null; targets: Array<{ id: string; release: string }> }>;
  lock: unknown;
}

describe('the store on PostgreSQL', () => {
  let pg: TestPostgres;
  let project: TestProject;
  let url: string;

  beforeAll(async () => {
    pg = await startTestPostgres();
    await pg.createDatabase('slipway');
    url = pg.url('slipway');
    project = await createTestProject();
  }, 120_000);
  afterAll(async () => {
    await project?.dispose();
    await pg?.stop();
  });

  it('records a deploy in PostgreSQL (SLIPWAY_STORE_URL) and reads it back with history and status (--store)', async () => {
    const env = { SLIPWAY_STORE_URL: url };
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0'], env));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0'], env));
    expect(await (await fetch(`${project.url}/`)).text()).toContain('Hello');

    const events = JSON.parse(
      expectOk(await project.cli(['--store', url, 'history', 'production', '--json', '--limit', '100']))
        .stdout,
    ) as LedgerEvent[];
    const status = JSON.parse(
      expectOk(await project.cli(['--store', url, 'status', 'production', '--json'])).stdout,
    ) as Status[];

    const succeeded = events.find((e) => e.kind === 'deploy.succeeded');
    expect(succeeded).toMatchObject({ release: '1.0.0' });
    expect(status[0]?.lastDeployment).toMatchObject({
      id: succeeded?.deploymentId,
      release: '1.0.0',
      phase: 'succeeded',
    });
    expect(status[0]?.hosts[0]?.targets.map((t) => t.release)).toEqual(['1.0.0']);
    expect(status[0]?.lock).toBeNull();
    // The rows are in PostgreSQL, and no SQLite store was made beside the project.
    const rows = await pg.query<{ id: string; outcome: string }>(
      'slipway',
      `select id, outcome from deployments where release_version = '1.0.0'`,
    );
    expect(rows).toEqual([{ id: succeeded?.deploymentId, outcome: 'succeeded' }]);
    const [release] = await pg.query<{ created_at_ms: string }>(
      'slipway',
      'select created_at_ms from releases',
    );
    expect(Number(release?.created_at_ms)).toBeGreaterThan(0);
    expect(existsSync(join(project.dir, '.slipway', 'slipway.db'))).toBe(false);
  });

  it('deploys a second release and rolls back to the first from what PostgreSQL recorded', async () => {
    const env = { SLIPWAY_STORE_URL: url };
    project.writeConfig(project.config({ env: { GREETING: 'Bonjour' } }));
    expectOk(await project.cli(['release', 'create', '--version', '1.1.0'], env));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.1.0'], env));
    expect(await (await fetch(`${project.url}/`)).text()).toContain('Bonjour');

    expectOk(await project.cli(['rollback', 'production'], env));

    expect(await (await fetch(`${project.url}/`)).text()).toContain('Hello');
    const kinds = (
      JSON.parse(
        expectOk(await project.cli(['history', 'production', '--json', '--limit', '100'], env)).stdout,
      ) as LedgerEvent[]
    ).map((e) => `${e.kind} ${e.release ?? ''}`);
    expect(kinds).toEqual(expect.arrayContaining(['deploy.succeeded 1.1.0', 'deploy.succeeded 1.0.0']));
    expect(kinds.findIndex((k) => k.startsWith('rollback.succeeded'))).toBeLessThan(
      kinds.indexOf('deploy.succeeded 1.1.0'),
    );
    const outcomes = await pg.query<{ kind: string; release_version: string; outcome: string }>(
      'slipway',
      `select kind, release_version, outcome from deployments order by created_at_ms`,
    );
    expect(outcomes).toEqual([
      { kind: 'deploy', release_version: '1.0.0', outcome: 'succeeded' },
      { kind: 'deploy', release_version: '1.1.0', outcome: 'succeeded' },
      { kind: 'rollback', release_version: '1.0.0', outcome: 'succeeded' },
    ]);
  });

  it('says which store it could not open without printing the password', async () => {
    const wrong = url.replace(`:${PG_PASSWORD}@`, ':wrong-password@');

    const result = await project.cli(['status', 'production'], { SLIPWAY_STORE_URL: wrong });

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('could not connect to the store at postgres://slipway:***@127.0.0.1:');
    expect(result.stderr).toMatch(/password authentication failed/);
    expect(result.stderr).not.toContain('wrong-password');
    const notPostgres = await project.cli(['--store', 'mysql://root:hunter2@db/x', 'history', 'production']);
    expect(notPostgres.code).not.toBe(0);
    expect(notPostgres.stderr).toContain('--store must be a postgres://');
    expect(notPostgres.stderr).not.toContain('hunter2');
  });
});
