import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './project.js';

/** Debian's PostgreSQL server binaries (package `postgresql`; 15 on bookworm), the newest installed. */
export const PG_BIN = findServerBin();

function findServerBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return join(root, versions[0] ?? '15', 'bin');
}

export function isPostgresAvailable(): boolean {
  return existsSync(join(PG_BIN, 'postgres')) && existsSync(join(PG_BIN, 'initdb'));
}

export interface TestPostgres {
  port: number;
  /** A URL for `database` as the superuser `slipway` with password `secret-pw` (over loopback TCP). */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  /** Runs SQL in `database` and returns the rows. */
  query<R extends Record<string, unknown>>(database: string, text: string, params?: unknown[]): Promise<R[]>;
  stop(): Promise<void>;
}

export const PG_PASSWORD = 'secret-pw';

/**
 * A private PostgreSQL server for one test file: initdb into a temp dir, started on a loopback port with its
 * socket in that dir, stopped by pid afterwards. PostgreSQL refuses to run as root, so under root it runs as
 * the `postgres` system user (owner of the temp dir).
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  if (!isPostgresAvailable())
    throw new Error(
      `PostgreSQL's server is not installed (${PG_BIN}): apt-get install postgresql postgresql-client`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'swpg-'));
  const data = join(dir, 'data');
  const asUser = userInfo().uid === 0 ? await systemUser('postgres') : null;
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const pwfile = join(dir, 'pw');
  await runAs(asUser, '/bin/sh', ['-c', `printf %s '${PG_PASSWORD}' > '${pwfile}'`]);
  await runAs(asUser, join(PG_BIN, 'initdb'), [
    '-D',
    data,
    '-U',
    'slipway',
    '--pwfile',
    pwfile,
    '--auth',
    'scram-sha-256',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const port = await freePort();
  const server = spawn(
    join(PG_BIN, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    { stdio: ['ignore', 'ignore', 'pipe'], ...(asUser ? { uid: asUser.uid, gid: asUser.gid } : {}) },
  );
  let log = '';
  server.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const url = (database: string): string => `postgres://slipway:${PG_PASSWORD}@127.0.0.1:${port}/${database}`;
  await waitReady(url('postgres'), server, () => log);
  const query = async <R extends Record<string, unknown>>(
    database: string,
    text: string,
    params: unknown[] = [],
  ): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query<R>(text, params)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    port,
    url,
    query,
    createDatabase: async (name) => {
      await query('postgres', `CREATE DATABASE "${name}"`);
    },
    stop: async () => {
      await stopServer(server);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`postgres exited (${server.exitCode}):\n${log()}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not start: ${String(err)}\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Fast shutdown (SIGINT) of the server we started, by its pid; SIGKILL if it lingers. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.pid === undefined) return;
  const exited = new Promise<void>((r) => server.once('exit', () => r()));
  server.kill('SIGINT');
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function systemUser(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

function runAs(user: { uid: number; gid: number } | null, file: string, args: string[]): Promise<string> {
  return run(file, args, user ?? undefined);
}

function run(file: string, args: string[], user?: { uid: number; gid: number }): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(file, args, { ...(user ? { uid: user.uid, gid: user.gid } : {}) }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolveRun(stdout);
    });
  });
}
