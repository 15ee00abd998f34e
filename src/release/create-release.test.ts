import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { openSqliteStore } from '../store/open-store.js';
import type { Store } from '../store/index.js';
import { UnsafeSymlinkError } from './check-symlinks.js';
import { createRelease } from './create-release.js';

// A real build command (a child process) makes the build output; the store is a real SQLite file.

const clock: Clock = { nowMs: () => Date.UTC(2025, 0, 15, 9, 30) };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(
  buildCommand: string,
): Promise<{ dir: string; store: Store; create: () => ReturnType<typeof createRelease> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-create-'));
  cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  const store = await openSqliteStore(join(dir, 'store.db'));
  cleanups.push(() => store.close());
  const config = configSchema.parse({
    app: 'shop',
    build: { command: buildCommand, path: 'dist' },
    run: { command: 'node server.js' },
    environments: { production: { publicPort: 8080 } },
  });
  const create = () =>
    createRelease({
      config,
      projectDir: dir,
      stateDir: join(dir, '.slipway'),
      version: '1.0.0',
      store,
      clock,
      actor: 'ada',
    });
  return { dir, store, create };
}

const BUILD = 'mkdir -p dist && echo "console.log(1)" > dist/server.js';

describe('createRelease: symbolic links in the build output', () => {
  it('refuses an absolute link after the build, storing no release, no ledger event and no artifact', async () => {
    const { dir, store, create } = await setUp(`${BUILD} && ln -s /etc/hostname dist/host`);

    const error = await create().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnsafeSymlinkError);
    expect((error as UnsafeSymlinkError).message).toBe(
      `the build output ${join(dir, 'dist')} holds an absolute symbolic link host -> /etc/hostname`,
    );
    expect(await store.getRelease('shop', '1.0.0')).toBeUndefined();
    expect(await store.listEvents({ app: 'shop', limit: 10 })).toEqual([]);
    const artifacts = join(dir, '.slipway', 'artifacts');
    expect(existsSync(artifacts) ? readdirSync(artifacts) : []).toEqual([]);
  });

  it('creates the release when the links stay inside build.path', async () => {
    const { store, create } = await setUp(`${BUILD} && ln -s server.js dist/main.js`);

    const result = await create();

    expect(result.created).toBe(true);
    expect((await store.getRelease('shop', '1.0.0'))?.version).toBe('1.0.0');
  });
});
