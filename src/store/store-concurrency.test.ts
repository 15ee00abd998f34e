import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LockHeldError } from '../core/errors.js';
import { MIGRATION_TABLE, buildStoreMigrations } from './migrations.js';
import type { RaceAction, RaceResult } from './race.fixture.js';
import type { StoreLocation } from './open-store.js';
import { aLockRequest, describeEachStore, useTempStores, useTestPostgres } from './test-fixtures.js';

const RACE_SCRIPT = fileURLToPath(new URL('./race.fixture.ts', import.meta.url));
const RACERS = 4;

const stores = useTempStores();

/** Starts one process per name, lets them all get ready, then says "go" to all at once. */
async function raceProcesses(
  file: string /* a SQLite file or a postgres:// URL */,
  names: string[],
  openWhen: 'before-go' | 'after-go',
  action: RaceAction,
): Promise<RaceResult[]> {
  const children = names.map((name) =>
    spawn(process.execPath, ['--import', 'tsx', RACE_SCRIPT, file, name, openWhen, action], {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const outputs = children.map(collectOutput);
  await Promise.all(outputs.map((o) => o.ready));
  for (const child of children) child.stdin.write('go\n');
  return Promise.all(outputs.map((o) => o.result));
}

function collectOutput(child: ChildProcessWithoutNullStreams): {
  ready: Promise<void>;
  result: Promise<RaceResult>;
} {
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<RaceResult>((resolve, reject) => {
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`racer exited with ${code}: ${stderr || stdout}`));
      } else {
        resolve(JSON.parse(last) as RaceResult);
      }
    });
  });
  // A racer that dies before "ready" must fail the test rather than hang it.
  return { ready: Promise.race([ready, result.then(() => undefined)]), result };
}

const names = Array.from({ length: RACERS }, (_, i) => `racer-${i + 1}`);

describe('several processes on one SQLite file', () => {
  it('lets exactly one process take the environment lock; the others learn who holds it', async () => {
    const file = stores.storeFile();
    await (await stores.open(file)).close();

    const results = await raceProcesses(file, names, 'before-go', 'lock');

    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!.name;
    for (const loser of results.filter((r) => !r.won)) {
      expect(loser).toMatchObject({ error: 'LockHeldError', holder: `${winner}@racer` });
    }
    const store = await stores.open(file);
    expect(await store.getLock('shop', 'production')).toMatchObject({ deploymentId: winner });
  });

  it('migrates a fresh file once when every process opens it at the same moment', async () => {
    const file = stores.storeFile();

    const results = await raceProcesses(file, names, 'after-go', 'lock');

    // Every racer got far enough to race (a failed migration would have failed its process).
    expect(results.filter((r) => r.won)).toHaveLength(1);
    expect(results.filter((r) => !r.won).map((r) => !r.won && r.error)).toEqual(
      Array(RACERS - 1).fill('LockHeldError'),
    );
    const db = new Database(file, { readonly: true });
    const applied = db.prepare(`select name from ${MIGRATION_TABLE}`).pluck().all();
    db.close();
    expect(applied).toEqual(Object.keys(buildStoreMigrations('sqlite')).sort());
  });

  it('stores one release when processes create the same version with different artifacts', async () => {
    const file = stores.storeFile();
    await (await stores.open(file)).close();

    const results = await raceProcesses(file, names, 'before-go', 'release');

    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => !r.won).every((r) => !r.won && r.error === 'ConflictError')).toBe(true);
    const store = await stores.open(file);
    expect((await store.getRelease('shop', '1.0.0'))?.createdBy).toBe(winners[0]!.name);
  });
});

describe('several processes claiming one server job', () => {
  const postgres = useTestPostgres();
  const queueJob = async (location: StoreLocation): Promise<void> => {
    const store = await stores.open(location);
    await store.insertServerJob({
      id: 'j1',
      app: 'shop',
      kind: 'deploy',
      environment: 'production',
      payload: {},
      requestedBy: 'ana',
      createdAtMs: Date.now(),
    });
    await store.close();
  };

  it.each(['sqlite', 'postgres'] as const)('lets exactly one process claim it (%s)', async (kind) => {
    const location: StoreLocation =
      kind === 'sqlite' ? { kind, file: stores.storeFile() } : { kind, url: await postgres.freshDatabase() };
    await queueJob(location);

    const results = await raceProcesses(
      location.kind === 'sqlite' ? location.file : location.url,
      names,
      'before-go',
      'claim',
    );

    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => !r.won).every((r) => !r.won && r.error === 'claimed')).toBe(true);
    const store = await stores.open(location);
    expect(await store.getServerJob('j1')).toMatchObject({ state: 'running', owner: winners[0]!.name });
  });
});

describe('several processes on one PostgreSQL database', () => {
  const postgres = useTestPostgres();

  it('lets exactly one process take the environment lock; the others learn who holds it', async () => {
    const url = await postgres.freshDatabase();
    await (await stores.open({ kind: 'postgres', url })).close();

    const results = await raceProcesses(url, names, 'before-go', 'lock');

    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!.name;
    for (const loser of results.filter((r) => !r.won)) {
      expect(loser).toMatchObject({ error: 'LockHeldError', holder: `${winner}@racer` });
    }
    const store = await stores.open({ kind: 'postgres', url });
    expect(await store.getLock('shop', 'production')).toMatchObject({ deploymentId: winner });
  });

  it('migrates a fresh database once when every process opens it at the same moment', async () => {
    const url = await postgres.freshDatabase();

    const results = await raceProcesses(url, names, 'after-go', 'lock');

    expect(results.filter((r) => r.won)).toHaveLength(1);
    expect(results.filter((r) => !r.won).map((r) => !r.won && r.error)).toEqual(
      Array(RACERS - 1).fill('LockHeldError'),
    );
    const database = new URL(url).pathname.slice(1);
    const applied = await (
      await postgres.server()
    ).query<{ name: string }>(database, `select name from ${MIGRATION_TABLE} order by name`);
    expect(applied.map((r) => r.name)).toEqual(Object.keys(buildStoreMigrations('postgres')).sort());
  });

  it('stores one release when processes create the same version with different artifacts', async () => {
    const url = await postgres.freshDatabase();
    await (await stores.open({ kind: 'postgres', url })).close();

    const results = await raceProcesses(url, names, 'before-go', 'release');

    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => !r.won).every((r) => !r.won && r.error === 'ConflictError')).toBe(true);
    const store = await stores.open({ kind: 'postgres', url });
    expect((await store.getRelease('shop', '1.0.0'))?.createdBy).toBe(winners[0]!.name);
  });
});

describeEachStore('two Store instances in one process on one store', (stores) => {
  it('lets exactly one of them take the lock when both try at once', async () => {
    const where = await stores.location();
    const a = await stores.open(where);
    const b = await stores.open(where);

    const results = await Promise.allSettled([
      a.acquireLock(aLockRequest({ deploymentId: 'd-a', holder: 'a@host' }), () => false),
      b.acquireLock(aLockRequest({ deploymentId: 'd-b', holder: 'b@host' }), () => false),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(LockHeldError);
    const lock = await a.getLock('shop', 'production');
    expect((rejected?.reason as LockHeldError).holder).toBe(lock?.holder);
    expect(await b.getLock('shop', 'production')).toEqual(lock);
  });

  it('lets exactly one of them take over a stale lock when both see it stale at once', async () => {
    const where = await stores.location();
    const a = await stores.open(where);
    const b = await stores.open(where);
    await a.acquireLock(aLockRequest({ deploymentId: 'd-dead', pid: 1 }), () => false);
    const isStale = (lock: { deploymentId: string }) => lock.deploymentId === 'd-dead';

    const results = await Promise.allSettled([
      a.acquireLock(aLockRequest({ deploymentId: 'd-a', holder: 'a@host' }), isStale),
      b.acquireLock(aLockRequest({ deploymentId: 'd-b', holder: 'b@host' }), isStale),
    ]);

    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    expect(fulfilled).toHaveLength(1);
    expect(fulfilled[0]?.value.tookOverFrom?.deploymentId).toBe('d-dead');
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(LockHeldError);
    expect(['d-a', 'd-b']).toContain((await a.getLock('shop', 'production'))?.deploymentId);
  });
});
