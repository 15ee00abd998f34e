import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** What the holder runs: SQLite's write lock taken on the file, kept until its stdin closes. */
const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 10000');
db.exec('begin immediate');
db.prepare("insert into ledger_events (at_ms, actor, app, environment, kind, message) values (0, 'holder', 'x', null, 'test.hold', 'held')").run();
process.stdout.write('locked\\n');
process.stdin.resume();
process.stdin.on('end', () => { db.exec('rollback'); db.close(); process.exit(0); });
`;

export interface HeldWriteLock {
  pid: number;
  /** Ends the holder's transaction (rolled back) and waits for it to exit. */
  release(): Promise<void>;
}

/**
 * Another process in a write transaction on a SQLite store (BEGIN IMMEDIATE plus an uncommitted insert), as a
 * deploy writing the store looks to everyone else. Resolves once the lock is held.
 */
export function holdSqliteWriteLock(file: string): Promise<HeldWriteLock> {
  const child = spawn(process.execPath, ['-e', HOLDER, file], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolveHeld, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (!d.toString().includes('locked')) return;
      resolveHeld({
        pid: child.pid ?? -1,
        release: async () => {
          child.stdin.end();
          await exited;
        },
      });
    });
    void exited.then((code) =>
      reject(new Error(`the lock holder exited (${code}) before locking: ${stderr}`)),
    );
  });
}
