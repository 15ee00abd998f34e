import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { createTestProject, expectOk, runCli, type CliResult, type TestProject } from '../helpers/project.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { holdSqliteWriteLock } from '../helpers/sqlite-lock.js';
import { mountTinyDisk } from '../helpers/tiny-disk.js';

// Locks and stores that fail clearly, with the real CLI: a deploy lock whose holder died on another machine is
// removed with `slipway unlock` (locally and through a server), read-only verbs answer while another process
// writes the store, and a busy store or a full disk is one error line that names the file.

interface HistoryEvent {
  kind: string;
  actor: string;
  deploymentId: string | null;
  message: string;
  data: unknown;
}

async function history(project: TestProject): Promise<HistoryEvent[]> {
  return JSON.parse(
    expectOk(await project.cli(['history', 'production', '--json', '--limit', '100'])).stdout,
  ) as HistoryEvent[];
}

const storeFileOf = (project: TestProject): string => join(project.dir, '.slipway', 'slipway.db');

async function withStore<T>(project: TestProject, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openSqliteStore(storeFileOf(project));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** A deploy that took the lock on a CI runner that was then destroyed: its lock and unfinished deployment stay. */
async function leaveLockOfDeadRunner(project: TestProject, deploymentId: string): Promise<void> {
  await withStore(project, async (store) => {
    await store.createDeployment({
      id: deploymentId,
      app: 'hello',
      environment: 'production',
      kind: 'deploy',
      releaseVersion: '1.0.0',
      previousVersion: null,
      strategy: 'blue-green',
      plan: { stages: [] },
      createdBy: 'ci@ci-runner-7',
      createdAtMs: Date.now(),
      reason: null,
    });
    await store.acquireLock(
      {
        app: 'hello',
        environment: 'production',
        holder: 'ci@ci-runner-7',
        pid: 4242,
        hostname: 'ci-runner-7',
        deploymentId,
        atMs: Date.now(),
      },
      () => false,
    );
  });
}

/** What a stack trace looks like in stderr: "    at fn (file:line:col)". */
const STACK_LINE = /^\s+at /m;

function expectOneError(result: CliResult, message: string | RegExp, hint: string | RegExp): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(2);
  expect(lines[0]).toMatch(typeof message === 'string' ? `error: ${message}` : message);
  expect(lines[1]).toMatch(typeof hint === 'string' ? `hint: ${hint}` : hint);
  expect(result.stderr).not.toMatch(STACK_LINE);
}

describe('slipway unlock: a deploy lock whose holder died on another machine', () => {
  let project: TestProject;
  let server: TestServer | undefined;

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
  });
  afterAll(async () => {
    await server?.stop();
    await project.dispose();
  });

  it('is refused by deploy with a hint naming the command; unlock removes it, ledgered, and deploy goes on', async () => {
    await leaveLockOfDeadRunner(project, 'd-ghost');

    const refused = await project.cli(['deploy', 'production', '--release', '1.0.0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /error: environment production is locked by ci@ci-runner-7 since \S+ \(deployment d-ghost\)/,
    );
    expect(refused.stderr).toContain(
      'hint: wait for that deployment to finish; if its process died on another machine, remove the lock with: slipway unlock production --reason "…"',
    );

    const noReason = await project.cli(['unlock', 'production']);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");

    const unlocked = expectOk(
      await project.cli(['unlock', 'production', '--reason', 'runner ci-7 was destroyed'], {
        SLIPWAY_USER: 'olga',
      }),
    );
    expect(unlocked.stdout).toMatch(
      /✔ removed the lock of production held by ci@ci-runner-7 \(pid 4242 on ci-runner-7\) since \S+/,
    );
    expect(unlocked.stdout).toContain(
      'its deployment d-ghost (deploy of 1.0.0) did not finish: "slipway deploy production --resume" continues it, a new deploy abandons it',
    );
    const removed = (await history(project)).find((e) => e.kind === 'lock.removed');
    expect(removed).toMatchObject({
      actor: 'olga',
      deploymentId: 'd-ghost',
      data: { reason: 'runner ci-7 was destroyed', lock: { hostname: 'ci-runner-7', pid: 4242 } },
    });
    expect(removed?.message).toMatch(
      /^lock of production removed: runner ci-7 was destroyed \(it was held by/,
    );

    expect(expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0'])).stdout).toContain(
      '1.0.0 is live in production',
    );
    expect((await history(project)).find((e) => e.kind === 'deploy.aborted')?.deploymentId).toBe('d-ghost');
  });

  it('refuses to remove a lock whose holder runs on this machine, and one that is not there', async () => {
    await withStore(project, (store) =>
      store.acquireLock(
        {
          app: 'hello',
          environment: 'production',
          holder: 'ada@here',
          pid: process.pid, // alive: this test
          hostname: hostname(),
          deploymentId: 'd-alive',
          atMs: Date.now(),
        },
        () => false,
      ),
    );
    try {
      expectOneError(
        await project.cli(['unlock', 'production', '--reason', 'looks stuck']),
        `the lock of production is held by a running process on this machine: pid ${process.pid} (ada@here, deployment d-alive)`,
        /^hint: wait for that deployment, or stop it/,
      );
    } finally {
      await withStore(project, async (store) => {
        const lock = await store.getLock('hello', 'production');
        if (lock) await store.removeLock(lock);
      });
    }
    expectOneError(
      await project.cli(['unlock', 'production', '--reason', 'again']),
      'environment production is not locked: there is no lock to remove',
      '"slipway status production" shows its lock',
    );
  });

  it('through a server: a route for whoever may deploy there, ledgered as the token', async () => {
    server = await startTestServer(project);
    await leaveLockOfDeadRunner(project, 'd-ghost-2');
    const viewer = await server.token('watcher', ['viewer']);
    const deployer = await server.token('ci-bot', ['deployer:production']);

    const forbidden = await server.fetch('/api/v1/environments/production/unlock', viewer, {
      method: 'POST',
      body: JSON.stringify({ reason: 'x' }),
    });
    expect(forbidden.status).toBe(403);
    const noReason = await server.fetch('/api/v1/environments/production/unlock', deployer, {
      method: 'POST',
      body: JSON.stringify({}),
    });
    expect(noReason.status).toBe(400);

    const remote = expectOk(
      await runCli(['--server', server.url, 'unlock', 'production', '--reason', 'runner gone'], {
        SLIPWAY_TOKEN: deployer,
      }),
    );
    expect(remote.stdout).toMatch(/✔ removed the lock of production held by ci@ci-runner-7/);
    expect(remote.stdout).toContain(
      `"slipway --server ${server.url} deploy production --resume" continues it`,
    );
    const events = await history(project);
    expect(events.find((e) => e.kind === 'lock.removed' && e.deploymentId === 'd-ghost-2')?.actor).toBe(
      'ci-bot',
    );
    const again = await server.fetch('/api/v1/environments/production/unlock', deployer, {
      method: 'POST',
      body: JSON.stringify({ reason: 'twice' }),
    });
    expect(again.status).toBe(404);
  });
});

describe('a store another process is writing', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  });
  afterAll(async () => project.dispose());

  it('still answers releases, status and history; a write fails in one line naming the file', async () => {
    const file = storeFileOf(project);
    const holder = await holdSqliteWriteLock(file);
    try {
      const releases = expectOk(await project.cli(['releases']));
      expect(releases.stdout).toMatch(/^1\.0\.0\s/m);

      // status copies the agent's new events (its start) into the ledger: that write waits, then is left for later.
      const status = expectOk(await project.cli(['status', 'production']));
      expect(status.stdout).toMatch(/serving\s+1\.0\.0/);
      expect(status.stderr).toContain(
        `note: the agents' newest events are not in the ledger yet: the store ${file} is locked by another process`,
      );
      const events = expectOk(await project.cli(['history', 'production']));
      expect(events.stdout).toMatch(
        /deploy\.succeeded\s+production\s+deploy of 1\.0\.0 to production succeeded/,
      );
      expect(events.stderr).not.toMatch(STACK_LINE);

      expectOneError(
        await project.cli(['token', 'create', '--subject', 'ci', '--role', 'deployer']),
        `the store ${file} is locked by another process: a write waited 5s for it (database is locked)`,
        /^hint: another slipway command \(a deploy, a server, a monitor\) is writing it: try again once it is done/,
      );
    } finally {
      await holder.release();
    }
    // Once the store is free again, the next read copies what was left.
    expect((await history(project)).map((e) => e.kind)).toContain('agent.started');
  });
});

describe('a full disk', () => {
  it('writing slipway.yml (a real /dev/full, where every write ends in ENOSPC)', async () => {
    expectOneError(
      await runCli(['-c', '/dev/full', 'init', '--force']),
      'no space left on the disk holding /dev/full',
      'free space on that disk ("df -h /dev" shows what is left), then try again',
    );
  });
});

describe('a full disk under the state directory (a real tmpfs)', () => {
  it('is one error line naming the store file and what to do, for reads and writes alike', async () => {
    const project = await createTestProject();
    const disk = mountTinyDisk(4 * 1024 * 1024);
    const cli = (args: string[]) => project.cli(['--state-dir', disk.dir, ...args]);
    try {
      expectOk(await cli(['release', 'create', '--version', '1.0.0']));
      disk.fill();
      const file = join(disk.dir, 'slipway.db');
      for (const args of [
        ['token', 'create', '--subject', 'ci', '--role', 'deployer'],
        ['release', 'create', '--version', '2.0.0'],
        ['releases'],
      ]) {
        expectOneError(
          await cli(args),
          `no space left on the disk holding ${file}`,
          `free space on that disk ("df -h ${disk.dir}" shows what is left), then try again`,
        );
      }
      disk.free();
      expect(expectOk(await cli(['releases'])).stdout).toMatch(/^1\.0\.0\s/m);
    } finally {
      disk.unmount();
      await project.dispose();
    }
  });
});
