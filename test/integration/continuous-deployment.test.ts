import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { createSourceRepo, type SourceRepo } from '../helpers/source-repo.js';

// Continuous deployment with real git: a bare "remote", a working clone that commits and pushes with the git
// CLI, and the real slipway CLI following it (watch --once, the long-running watcher, the webhook receiver).

const WEBHOOK_KEY = 'test-webhook-key-5b1e';

/** The example's build, changed so that the app names itself `name`: shows which commit a release came from. */
function renameApp(repo: SourceRepo, name: string): () => void {
  return () =>
    writeFileSync(
      join(repo.work, 'build.js'),
      `import { writeFileSync } from 'node:fs';
writeFileSync(new URL('./build-info.json', import.meta.url), JSON.stringify({ app: '${name}', version: process.env.SLIPWAY_VERSION }));
console.log('built ${name}');
`,
    );
}

function breakBuild(repo: SourceRepo): () => void {
  return () =>
    writeFileSync(
      join(repo.work, 'build.js'),
      `console.error('syntax error on purpose'); process.exit(7);\n`,
    );
}

async function body(project: TestProject): Promise<string> {
  return (await fetch(`${project.url}/`)).text();
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface LedgerEvent {
  kind: string;
  release: string | null;
  message: string;
  data: Record<string, unknown> | undefined;
}

async function ledger(project: TestProject): Promise<LedgerEvent[]> {
  return JSON.parse(expectOk(await project.cli(['history', '--json', '-n', '500'])).stdout) as LedgerEvent[];
}

async function releases(project: TestProject): Promise<Array<{ version: string; source: string | null }>> {
  return JSON.parse(expectOk(await project.cli(['releases', '--json'])).stdout) as Array<{
    version: string;
    source: string | null;
  }>;
}

function startCli(project: TestProject, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CLI, '-c', join(project.dir, 'slipway.yml'), ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, output: () => output };
}

function stopByPid(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
}

describe('slipway watch', () => {
  let project: TestProject;
  let repo: SourceRepo;

  // Notifications of what the watcher does reach a real receiver too.
  const notified: Array<{ event: string; release: string }> = [];
  const notifications = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      notified.push(JSON.parse(text) as { event: string; release: string });
      res.writeHead(204).end();
    });
  });

  beforeAll(async () => {
    project = await createTestProject();
    repo = createSourceRepo();
    await new Promise<void>((r) => notifications.listen(0, '127.0.0.1', () => r()));
    const { port } = notifications.address() as AddressInfo;
    project.writeConfig(
      `${project.config()}watch:\n  repo: ${repo.remote}\n  branch: main\n  interval: 300ms\n  environment: production\n` +
        `notifications:\n  channels:\n    - { name: team, url: "http://127.0.0.1:${port}/", events: [build-failed] }\n`,
    );
  });
  afterAll(async () => {
    await project.dispose();
    repo.dispose();
    await new Promise((r) => notifications.close(r));
  });

  it('builds the new commit of the branch into a release and deploys it', async () => {
    const first = repo.commit('first');
    const result = expectOk(await project.cli(['watch', '--once']));
    const version = first.slice(0, 7);
    expect(result.stdout).toContain(`release ${version}`);
    expect(await body(project)).toContain(`hello ${version}`);
    expect((await releases(project)).find((r) => r.version === version)?.source).toBe(first);
  });

  it('builds nothing again when nothing is new', async () => {
    const before = await releases(project);
    const result = expectOk(await project.cli(['watch', '--once']));
    expect(result.stdout).toContain('nothing new');
    expect(await releases(project)).toHaveLength(before.length);
  });

  it('turns the next commit into the next release, built from exactly that commit, versioned by its tag', async () => {
    repo.commit('second', renameApp(repo, 'hello-two'));
    repo.tag('v2.0.0');
    expectOk(await project.cli(['watch', '--once']));
    expect(await body(project)).toContain('hello-two v2.0.0');
    const events = await ledger(project);
    expect(events.filter((e) => e.kind === 'deploy.succeeded').map((e) => e.release)).toContain('v2.0.0');
  });

  it('records a failing build in the ledger, keeps serving, and builds the fix on the next pass', async () => {
    const broken = repo.commit('broken build', breakBuild(repo));
    const failed = await project.cli(['watch', '--once']);
    expect(failed.code).toBe(1);
    const buildFailed = (await ledger(project)).find((e) => e.kind === 'watch.build-failed');
    expect(buildFailed?.message).toContain(broken.slice(0, 12));
    expect(buildFailed?.message).toContain('exit 7');
    expect(notified).toEqual([
      expect.objectContaining({ event: 'build-failed', release: broken.slice(0, 7) }),
    ]);
    expect(await body(project)).toContain('hello-two v2.0.0');

    const fixed = repo.commit('fixed', renameApp(repo, 'hello-three'));
    expectOk(await project.cli(['watch', '--once']));
    expect(await body(project)).toContain(`hello-three ${fixed.slice(0, 7)}`);
    // The broken commit was not built a second time.
    const failures = (await ledger(project)).filter((e) => e.kind === 'watch.build-failed');
    expect(failures).toHaveLength(1);
  });

  it('keeps watching through a failed build until it is stopped by pid', async () => {
    const watcher = startCli(project, ['watch']);
    try {
      repo.commit('broken again', breakBuild(repo));
      await waitFor(async () =>
        (await ledger(project)).filter((e) => e.kind === 'watch.build-failed').length === 2
          ? true
          : undefined,
      );
      const good = repo.commit('good again', renameApp(repo, 'hello-four'));
      await waitFor(async () =>
        (await body(project)).includes(`hello-four ${good.slice(0, 7)}`) ? true : undefined,
      );
    } finally {
      stopByPid(watcher.child);
    }
    expect(await watcher.exited).toBe(0);
    expect(watcher.output()).toContain('watcher stopped');
  });

  it('deploys on the next pass a release whose deployment could not start, without building it again', async () => {
    const commit = repo.commit('while locked', renameApp(repo, 'hello-five'));
    const version = commit.slice(0, 7);
    // Another deployment holds production: its lock row, held by a live process on this machine.
    const db = new Database(join(project.dir, '.slipway', 'slipway.db'));
    db.prepare(
      'insert into environment_locks (app, environment, holder, pid, hostname, deployment_id, acquired_at_ms) values (?, ?, ?, ?, ?, ?, ?)',
    ).run('hello', 'production', 'someone-else', process.pid, hostname(), 'd-other', Date.now());
    try {
      const locked = await project.cli(['watch', '--once']);
      expect(locked.code).toBe(1);
      const failed = (await ledger(project)).find((e) => e.kind === 'watch.deploy-failed');
      expect(failed?.message).toContain('is locked by someone-else');
      expect(await body(project)).not.toContain('hello-five');
    } finally {
      db.prepare('delete from environment_locks where deployment_id = ?').run('d-other');
      db.close();
    }
    expectOk(await project.cli(['watch', '--once']));
    expect(await body(project)).toContain(`hello-five ${version}`);
    const created = (await ledger(project)).filter(
      (e) => e.kind === 'release.created' && e.release === version,
    );
    expect(created).toHaveLength(1);
  });
});

describe('slipway webhook', () => {
  let project: TestProject;
  let repo: SourceRepo;
  let receiver: ReturnType<typeof startCli>;
  let url: string;

  const post = (
    payload: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown> }> =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: payload,
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  const sign = (payload: string, key = WEBHOOK_KEY): string =>
    `sha256=${createHmac('sha256', key).update(payload).digest('hex')}`;
  const pushPayload = (after: string, pushedAtS = Math.floor(Date.now() / 1000)): string =>
    JSON.stringify({
      ref: 'refs/heads/main',
      after,
      pusher: { name: 'test' },
      repository: { full_name: 'example/hello', pushed_at: pushedAtS },
    });

  beforeAll(async () => {
    project = await createTestProject();
    repo = createSourceRepo();
    project.writeConfig(`${project.config()}watch:\n  repo: ${repo.remote}\n  environment: production\n`);
    receiver = startCli(project, ['webhook', '--port', '0'], { SLIPWAY_SECRET_WEBHOOK_SECRET: WEBHOOK_KEY });
    url = await waitFor(() =>
      Promise.resolve(/listening for push webhooks on (\S+)/.exec(receiver.output())?.[1]),
    );
  });
  afterAll(async () => {
    stopByPid(receiver.child);
    await receiver.exited;
    await project.dispose();
    repo.dispose();
  });

  it('refuses unsigned and wrongly signed deliveries with 401 and records them', async () => {
    const payload = pushPayload(repo.commit('not to be built'));
    expect(
      (await post(payload, { 'x-github-event': 'push', 'x-github-delivery': 'd-unsigned' })).status,
    ).toBe(401);
    const wrong = await post(payload, {
      'x-github-event': 'push',
      'x-github-delivery': 'd-wrong',
      'x-hub-signature-256': sign(payload, 'not-the-key'),
    });
    expect(wrong.status).toBe(401);
    const refused = (await ledger(project)).filter((e) => e.kind === 'webhook.refused');
    expect(refused.map((e) => e.data?.deliveryId).sort()).toEqual(['d-unsigned', 'd-wrong']);
    expect(await releases(project)).toHaveLength(0);
  });

  it('builds and deploys a correctly signed push, and ignores its replay', async () => {
    const commit = repo.commit('pushed');
    const payload = pushPayload(commit);
    const headers = {
      'x-github-event': 'push',
      'x-github-delivery': 'd-1',
      'x-hub-signature-256': sign(payload),
    };
    const accepted = await post(payload, headers);
    expect(accepted).toEqual({ status: 202, body: { status: 'accepted', commit } });
    await waitFor(async () =>
      (await body(project)).includes(`hello ${commit.slice(0, 7)}`) ? true : undefined,
    ).catch((err: unknown) => {
      // What the receiver did meanwhile (its build and deploy output) says why it did not deploy in time.
      throw new Error(`${String(err)}; the webhook receiver printed:\n${receiver.output()}`);
    });

    const replay = await post(payload, headers);
    expect(replay.status).toBe(200);
    expect(replay.body.status).toBe('replay');
    const events = await ledger(project);
    expect(events.filter((e) => e.kind === 'webhook.replayed').map((e) => e.data?.deliveryId)).toEqual([
      'd-1',
    ]);
    expect(events.filter((e) => e.kind === 'webhook.received')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'deploy.started')).toHaveLength(1);
  });

  it('treats a signed push older than the tolerance as a replay', async () => {
    const payload = pushPayload(repo.commit('late'), Math.floor(Date.now() / 1000) - 3600);
    const old = await post(payload, {
      'x-github-event': 'push',
      'x-github-delivery': 'd-old',
      'x-hub-signature-256': sign(payload),
    });
    expect(old).toEqual({ status: 200, body: { status: 'replay', reason: 'delivery too old' } });
  });

  it('answers 400 to a signed body that is not JSON and 413 to one over the size limit', async () => {
    const notJson = '{"ref": ';
    const bad = await post(notJson, {
      'x-github-event': 'push',
      'x-github-delivery': 'd-bad',
      'x-hub-signature-256': sign(notJson),
    });
    expect(bad.status).toBe(400);
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const tooLarge = await fetch(url, {
      method: 'POST',
      body: huge,
      headers: { 'x-hub-signature-256': sign(huge) },
    });
    expect(tooLarge.status).toBe(413);
  });

  it('counts a flood of unsigned deliveries rather than writing each, and writes the count when it stops', async () => {
    const flood = 25; // more than the budgets of two windows hold: some are counted however the windows fall
    for (let i = 0; i < flood; i++) {
      expect((await post('{}', { 'x-github-event': 'push', 'x-github-delivery': `flood-${i}` })).status).toBe(
        401,
      );
    }
    stopByPid(receiver.child);
    expect(await receiver.exited).toBe(0);
    expect(receiver.output()).toContain('webhook receiver stopped');

    const refused = (await ledger(project)).filter((e) => e.kind === 'webhook.refused');
    const counts = refused.map((e) => (typeof e.data?.count === 'number' ? e.data.count : 1));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(flood + 2);
    expect(refused.length).toBeLessThan(flood);
  });
});
