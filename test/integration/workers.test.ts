import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, REPO_ROOT, type TestProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';

// Worker processes (issue 17, item 1): a worker drains a queue (rows of a SQLite file), one job at a time, while a
// deploy and a rollback replace it. Each row is claimed in a transaction (so old and new workers may overlap), a job
// takes ~50 ms, and a worker finishes its job on SIGTERM before it exits. At the end every job is done exactly once.

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof import('better-sqlite3');
const SQLITE_MODULE = join(REPO_ROOT, 'node_modules', 'better-sqlite3');

const WORKER_JS = `const Database = require(process.env.SQLITE_MODULE);
const db = new Database(process.env.QUEUE_DB);
db.pragma('busy_timeout = 5000');
const me = process.env.SLIPWAY_RELEASE + '/' + process.env.SLIPWAY_PROCESS + '.' + process.env.SLIPWAY_INSTANCE;
const next = db.prepare('select id from jobs where claimed_by is null order by id limit 1');
const take = db.prepare('update jobs set claimed_by = ? where id = ? and claimed_by is null');
const finish = db.prepare('insert into done (job, worker) values (?, ?)');
const claim = db.transaction(() => {
  const row = next.get();
  if (!row) return null;
  return take.run(me, row.id).changes === 1 ? row.id : null;
});
let stopping = false;
process.on('SIGTERM', () => { stopping = true; console.log(me + ' got SIGTERM, finishing its job'); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
console.log(me + ' started' + (process.env.PORT ? ' with a PORT' : ''));
(async () => {
  while (!stopping) {
    const id = claim.immediate();
    if (id === null) { await sleep(20); continue; }
    await sleep(50);
    finish.run(id, me);
    console.log(me + ' did job ' + id);
  }
  console.log(me + ' stopped');
  process.exit(0);
})();
`;

const JOBS = 600;

describe('worker processes', () => {
  let project: TestProject;
  const queue = (): string => join(project.dir, 'queue.db');
  const config = (workerCommand: string): string =>
    `${project.config({
      env: { SQLITE_MODULE, QUEUE_DB: join(project.dir, 'queue.db') },
      strategy: '      kind: blue-green\n      keepWarm: 1m\n      drainTimeout: 1s',
    })}processes:
  worker:
    command: ${workerCommand}
    instances: 2
    stopTimeout: 5s
    health: { settle: 500ms }
`;

  beforeAll(async () => {
    project = await createTestProject();
    writeFileSync(join(project.dir, 'worker.cjs'), WORKER_JS);
    project.writeConfig(config('node worker.cjs'));
    for (const version of ['1.0.0', '2.0.0'])
      expectOk(await project.cli(['release', 'create', '--version', version]));
    // A release whose worker dies as it starts.
    project.writeConfig(config(`'echo "cannot reach the queue" >&2; exit 3'`));
    expectOk(await project.cli(['release', 'create', '--version', '3.0.0']));
    project.writeConfig(config('node worker.cjs'));
    const db = new Database(queue());
    db.exec('create table jobs (id integer primary key, claimed_by text)');
    db.exec('create table done (job integer not null, worker text not null)');
    const add = db.prepare('insert into jobs (id) values (?)');
    db.transaction(() => {
      for (let id = 1; id <= JOBS; id += 1) add.run(id);
    })();
    db.close();
  }, 120_000);
  afterAll(async () => project?.dispose());

  const doneRows = (): Array<{ job: number; worker: string }> => {
    const db = new Database(queue(), { readonly: true });
    try {
      return db.prepare('select job, worker from done').all() as Array<{ job: number; worker: string }>;
    } finally {
      db.close();
    }
  };

  const unclaimed = (): number => {
    const db = new Database(queue(), { readonly: true });
    try {
      return (db.prepare('select count(*) as n from jobs where claimed_by is null').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('drains the queue across a deploy and a rollback: no job lost, none done twice', async () => {
    const first = expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    expect(first.stdout).toContain('worker 2');

    const plan = expectOk(await project.cli(['plan', 'production', '--release', '2.0.0'])).stdout;
    expect(plan).toMatch(/workers: start[\s\S]*start worker worker 1 \(hello-2\.0\.0-/);
    expect(plan).toMatch(/check worker worker 2 .*stays up 500ms/);
    expect(plan).toMatch(/stop worker worker 1 \(hello-1\.0\.0-.*SIGTERM, up to 5s to finish its job/);
    // Web first, then the workers.
    expect(plan.indexOf('switch traffic')).toBeLessThan(plan.indexOf('start worker'));

    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    expect(deploy.stdout).toMatch(/stop worker 1 1\.0\.0/);
    const rollback = expectOk(await project.cli(['rollback', 'production']));
    expect(rollback.stdout).toMatch(/start worker 1 1\.0\.0/);

    // Every job claimed; a claimed job is done within its ~50 ms, unless a worker dropped it (lost).
    await waitFor('every job claimed', () => Promise.resolve(unclaimed() === 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    const rows = doneRows();
    const perJob = new Map<number, number>();
    for (const row of rows) perJob.set(row.job, (perJob.get(row.job) ?? 0) + 1);
    expect(rows).toHaveLength(JOBS);
    expect(perJob.size).toBe(JOBS);
    expect([...perJob.values()].every((n) => n === 1)).toBe(true);
    // Workers of both releases did jobs: the deploy and the rollback happened while the queue drained.
    const releases = new Set(rows.map((r) => r.worker.split('/')[0]));
    expect([...releases].sort()).toEqual(['1.0.0', '2.0.0']);

    // The store recorded the rollback's worker steps, each succeeded.
    const store = new Database(join(project.dir, '.slipway', 'slipway.db'), { readonly: true });
    try {
      const last = store
        .prepare(
          "select id, plan_json from deployments where kind = 'rollback' order by created_at_ms desc limit 1",
        )
        .get() as { id: string; plan_json: string };
      const steps = (
        JSON.parse(last.plan_json) as { stages: Array<{ steps: Array<{ kind: string }> }> }
      ).stages
        .flatMap((stage) => stage.steps)
        .map((step) => step.kind);
      const recorded = store
        .prepare('select idx, status from deployment_steps where deployment_id = ? order by idx')
        .all(last.id) as Array<{ idx: number; status: string }>;
      const byKind = (kind: string) => recorded.filter((r) => steps[r.idx] === kind).map((r) => r.status);
      expect(byKind('start-worker')).toEqual(['succeeded', 'succeeded']);
      expect(byKind('wait-worker')).toEqual(['succeeded', 'succeeded']);
      expect(byKind('stop-worker')).toEqual(['succeeded', 'succeeded']);
    } finally {
      store.close();
    }

    const logs = expectOk(await project.cli(['logs', 'production', '--process', 'worker', '-n', '400']));
    expect(logs.stdout).toMatch(/worker 1 hello-1\.0\.0-\S+-worker\.1 │ .* did job/);
    expect(logs.stdout).not.toContain('with a PORT');
    expect(logs.stdout).not.toMatch(/^web /m);
    const all = expectOk(await project.cli(['logs', 'production', '-n', '5'])).stdout;
    expect(all).toMatch(/^web hello-1\.0\.0-/m);
    const status = expectOk(await project.cli(['status', 'production'])).stdout;
    expect(status).toMatch(/worker 1 +1\.0\.0 .* running {2}healthy/);
    expect(status).toMatch(/worker 2 +1\.0\.0 .* running {2}healthy/);
  }, 180_000);

  it('fails a deploy whose worker crashes at start; the old workers keep running', async () => {
    const before = JSON.stringify(await workersOf(project));
    const failed = await project.cli(['deploy', 'production', '--release', '3.0.0']);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr + failed.stdout).toMatch(/worker worker 1 of 3\.0\.0 did not become healthy/);
    expect(failed.stderr + failed.stdout).toContain('cannot reach the queue');
    const after = await workersOf(project);
    expect(JSON.stringify(after)).toBe(before); // the same instances, never stopped
    expect(after.map((w) => w.release)).toEqual(['1.0.0', '1.0.0']);
    const serving = await fetch(project.url).then((r) => r.text());
    expect(serving).toContain('1.0.0');
  }, 120_000);
});

/** The worker instances on the local host, as `slipway status --json` lists them. */
async function workersOf(
  project: TestProject,
): Promise<Array<{ id: string; release: string; state: string; pid: number | null }>> {
  const json = JSON.parse(expectOk(await project.cli(['status', 'production', '--json'])).stdout) as unknown;
  const found: Array<{ id: string; release: string; state: string; pid: number | null }> = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    const t = value as {
      id?: string;
      release?: string;
      state?: string;
      pid?: number | null;
      process?: unknown;
    };
    if (t.process && t.id && t.release && t.state)
      found.push({ id: t.id, release: t.release, state: t.state, pid: t.pid ?? null });
    else Object.values(value).forEach(visit);
  };
  visit(json);
  return found.sort((a, b) => (a.id < b.id ? -1 : 1));
}
