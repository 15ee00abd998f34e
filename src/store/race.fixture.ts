// A separate process for store-concurrency.test.ts: it opens a store (a SQLite file, or a postgres:// URL), says
// "ready", waits for "go" on stdin, then races other processes for one thing and prints what happened as one
// JSON line.
import { createInterface } from 'node:readline';
import { ConflictError, LockHeldError } from '../core/errors.js';
import { openStore, type StoreLocation } from './open-store.js';
import type { Store } from './store.js';

export type RaceAction = 'lock' | 'release' | 'claim';
export type RaceResult =
  | { name: string; won: true }
  | { name: string; won: false; error: 'LockHeldError' | 'ConflictError'; holder?: string }
  /** `claim`: another process claimed the server job first. */
  | { name: string; won: false; error: 'claimed' }
  | { name: string; won: false; error: 'unexpected'; message: string };

const [where, name, openWhen, action] = process.argv.slice(2) as [
  string,
  string,
  'before-go' | 'after-go',
  RaceAction,
];

const location: StoreLocation = /^postgres(ql)?:/.test(where)
  ? { kind: 'postgres', url: where }
  : { kind: 'sqlite', file: where };

const lines = createInterface({ input: process.stdin });
const go = new Promise<void>((resolve) => lines.on('line', (line) => line === 'go' && resolve()));

let store: Store | undefined = openWhen === 'before-go' ? await openStore(location) : undefined;
process.stdout.write('ready\n');
await go;
lines.close();
const result = await race((store ??= await openStore(location)));
await store.close();
process.stdout.write(`${JSON.stringify(result)}\n`);

async function race(store: Store): Promise<RaceResult> {
  try {
    if (action === 'lock') {
      await store.acquireLock(
        {
          app: 'shop',
          environment: 'production',
          holder: `${name}@racer`,
          pid: process.pid,
          hostname: 'racer',
          deploymentId: name,
          atMs: Date.now(),
        },
        () => false,
      );
    } else if (action === 'claim') {
      // The job `j1` of app `shop` was queued by the test before "go".
      if (!(await store.claimServerJob('j1', name, Date.now())))
        return { name, won: false, error: 'claimed' };
    } else {
      const { created } = await store.createRelease({
        app: 'shop',
        version: '1.0.0',
        sha256: name.padEnd(64, '0'),
        artifactPath: `/tmp/${name}.tar.gz`,
        sizeBytes: 1,
        config: {},
        createdBy: name,
        createdAtMs: Date.now(),
      });
      if (!created) return { name, won: false, error: 'unexpected', message: 'created: false' };
    }
    return { name, won: true };
  } catch (error) {
    if (error instanceof LockHeldError)
      return { name, won: false, error: 'LockHeldError', holder: error.holder };
    if (error instanceof ConflictError) return { name, won: false, error: 'ConflictError' };
    return { name, won: false, error: 'unexpected', message: String(error) };
  }
}
