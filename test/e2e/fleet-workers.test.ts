import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, freePort, REPO_ROOT } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';
import { createTestbed, type Testbed } from '../testbed/testbed.js';
import { fleetProject, type Fleet } from './fleet-project.js';

// Worker processes on a testbed of SSH hosts (issue 17, item 1): a worker per host drains one queue (rows of a
// SQLite file under /var/tmp, which the hosts' mount namespaces share with this machine) while a rolling deploy and
// a rollback replace the workers host by host. Every row is done exactly once.

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof import('better-sqlite3');
/** better-sqlite3 and what it loads, without its sources (the hosts see /var/tmp, not where the repository is). */
const SQLITE_MODULES = ['better-sqlite3', 'bindings', 'file-uri-to-path'];
const SQLITE_ROOT = join(REPO_ROOT, 'node_modules', 'better-sqlite3');
/** What better-sqlite3 needs at run time: its lib and its binary, not its sources and build files (28 MB). */
const neededAtRunTime = (src: string): boolean => {
  const rel = relative(SQLITE_ROOT, src);
  if (rel.startsWith('..')) return true; // another module
  if (rel.startsWith('deps') || rel.startsWith('src')) return false;
  return (
    !rel.startsWith('build') || ['build', 'build/Release', 'build/Release/better_sqlite3.node'].includes(rel)
  );
};
const JOBS = 900;

const WORKER_JS = `const Database = require(process.env.SQLITE_MODULE);
const db = new Database(process.env.QUEUE_DB);
db.pragma('busy_timeout = 5000');
const me = require('node:os').hostname() + '/' + process.env.SLIPWAY_RELEASE + '/' + process.env.SLIPWAY_INSTANCE;
const next = db.prepare('select id from jobs where claimed_by is null order by id limit 1');
const take = db.prepare('update jobs set claimed_by = ? where id = ? and claimed_by is null');
const finish = db.prepare('insert into done (job, worker) values (?, ?)');
const claim = db.transaction(() => {
  const row = next.get();
  return row && take.run(me, row.id).changes === 1 ? row.id : null;
});
let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  while (!stopping) {
    const id = claim.immediate();
    if (id === null) { await sleep(20); continue; }
    await sleep(50);
    finish.run(id, me);
  }
  process.exit(0);
})();
`;

describe('worker processes on a fleet over SSH', () => {
  let testbed: Testbed;
  let fleet: Fleet;
  let queueDir = '';
  const queue = (): string => join(queueDir, 'queue.db');

  beforeAll(async () => {
    testbed = await createTestbed({ hosts: 3, name: 'workers' });
    fleet = fleetProject(testbed, await freePort());
    queueDir = mkdtempSync('/var/tmp/sw-queue-');
    chmodSync(queueDir, 0o777);
    for (const name of SQLITE_MODULES) {
      cpSync(join(REPO_ROOT, 'node_modules', name), join(queueDir, 'node_modules', name), {
        recursive: true,
        filter: neededAtRunTime,
      });
    }
    const SQLITE_MODULE = join(queueDir, 'node_modules', 'better-sqlite3');
    const db = new Database(queue());
    db.pragma('journal_mode = WAL');
    db.exec('create table jobs (id integer primary key, claimed_by text)');
    db.exec('create table done (job integer not null, worker text not null)');
    const add = db.prepare('insert into jobs (id) values (?)');
    db.transaction(() => {
      for (let id = 1; id <= JOBS; id += 1) add.run(id);
    })();
    db.close();
    writeFileSync(join(fleet.dir, 'worker.cjs'), WORKER_JS);
    fleet.writeConfig({ env: { SQLITE_MODULE, QUEUE_DB: queue() } });
    const file = join(fleet.dir, 'slipway.yml');
    writeFileSync(
      file,
      `${readFileSync(file, 'utf8')}processes:\n  worker:\n    command: node worker.cjs\n    stopTimeout: 5s\n    health: { settle: 1s }\n`,
    );
    expectOk(await fleet.cli(['setup', 'production']));
    for (const version of ['1.0.0', '2.0.0'])
      expectOk(await fleet.cli(['release', 'create', '--version', version]));
  }, 180_000);

  afterAll(async () => {
    if (fleet) {
      await fleet.cli(['agent', 'stop', '--stop-targets']);
      rmSync(fleet.dir, { recursive: true, force: true });
    }
    await testbed?.destroy();
    if (queueDir) rmSync(queueDir, { recursive: true, force: true });
  }, 120_000);

  const doneRows = (): Array<{ job: number; worker: string }> => {
    const db = new Database(queue(), { readonly: true });
    try {
      return db.prepare('select job, worker from done').all() as Array<{ job: number; worker: string }>;
    } finally {
      db.close();
    }
  };

  it('drains the queue on every host across a rolling deploy and a rollback: each row done once', async () => {
    expectOk(await fleet.cli(['deploy', 'production', '--release', '1.0.0']));
    const deploy = expectOk(await fleet.cli(['deploy', 'production', '--release', '2.0.0']));
    for (const h of testbed.hosts)
      expect(deploy.stdout).toMatch(
        new RegExp(`stop worker 1 1\\.0\\.0.*${h.name}|${h.name}.*stop worker 1 1\\.0\\.0`),
      );
    expectOk(await fleet.cli(['rollback', 'production']));
    const status = expectOk(await fleet.cli(['status', 'production'])).stdout;
    expect(status.match(/worker 1 +1\.0\.0 .* running {2}healthy/g)).toHaveLength(testbed.hosts.length);

    await waitFor(
      'every job done',
      () => Promise.resolve(doneRows().length >= JOBS ? true : undefined),
      120_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const rows = doneRows();
    expect(rows).toHaveLength(JOBS);
    expect(new Set(rows.map((r) => r.job)).size).toBe(JOBS);
    const hosts = new Set(rows.map((r) => r.worker.split('/')[0]));
    expect(hosts.size).toBe(testbed.hosts.length); // every host's worker took jobs
    expect(new Set(rows.map((r) => r.worker.split('/')[1]))).toEqual(new Set(['1.0.0', '2.0.0']));
  }, 300_000);
});
