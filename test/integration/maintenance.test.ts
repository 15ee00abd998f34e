import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/agent/process-util.js';
import { createTestProject, expectOk, runCli, spawnCli, type TestProject } from '../helpers/project.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Maintenance mode through the real CLI, agent, router process and keeper, with the example app.

const BYPASS = 'x-slipway-maintenance-bypass';

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

function tokenOf(stdout: string): string {
  const match = /x-slipway-maintenance-bypass: (\S+)/.exec(stdout);
  if (!match?.[1]) throw new Error(`no token in:\n${stdout}`);
  return match[1];
}

interface LedgerLine {
  kind: string;
  actor: string;
  message: string;
  data: Record<string, unknown> | null;
}

async function ledger(project: TestProject): Promise<LedgerLine[]> {
  const out = expectOk(await project.cli(['history', 'production', '--json', '--limit', '100'])).stdout;
  return (JSON.parse(out) as LedgerLine[]).reverse(); // oldest first
}

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('slipway maintenance', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  }, 120_000);
  afterAll(async () => project?.dispose());

  it('refuses bad input with exit 2, naming the option', async () => {
    const bad = await project.cli(['maintenance', 'on', 'production', '--retry-after', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--retry-after "soon" is not a duration');
    const empty = await project.cli(['maintenance', 'on', 'production', '--message', '  ']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--message is empty');
    const unknown = await project.cli(['maintenance', 'on', 'staging']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no environment named "staging"');
    expect((await get(`${project.url}/`)).status).toBe(200);
  });

  let token = '';

  it('answers 503 with the page and Retry-After; the health path and testers reach the app', async () => {
    const on = expectOk(
      await project.cli([
        'maintenance',
        'on',
        'production',
        '--message',
        'Back at 15:00',
        '--retry-after',
        '2m',
      ]),
    );
    expect(on.stdout).toContain('maintenance of production on at local: users get 503 "Back at 15:00"');
    token = tokenOf(on.stdout);

    const browser = await get(`${project.url}/cart`, { accept: 'text/html' });
    expect(browser.status).toBe(503);
    expect(browser.headers.get('retry-after')).toBe('120');
    expect(browser.headers.get('cache-control')).toBe('no-store');
    expect(browser.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(browser.body).toContain('<p>Back at 15:00</p>');
    const plain = await get(`${project.url}/cart`);
    expect(plain).toMatchObject({ status: 503, body: 'Back at 15:00\n' });
    expect(plain.headers.get('content-type')).toBe('text/plain; charset=utf-8');

    expect((await get(`${project.url}/healthz`)).status).toBe(200);
    const tester = await get(`${project.url}/`, { [BYPASS]: token });
    expect(tester.status).toBe(200);
    expect(tester.headers.get('x-release')).toBe('1.0.0');
    const cookie = await get(`${project.url}/`, { cookie: `slipway_maintenance_bypass=${token}` });
    expect(cookie.status).toBe(200);
    expect((await get(`${project.url}/`, { [BYPASS]: `${token}x` })).status).toBe(503);

    const status = expectOk(await project.cli(['status', 'production'])).stdout;
    expect(status).toMatch(
      /maintenance: ON since .* by .*: "Back at 15:00" \(Retry-After 120 s, \/healthz passes/,
    );
    const read = JSON.parse(
      expectOk(await project.cli(['maintenance', 'status', 'production', '--json'])).stdout,
    ) as { state: string; on: string[]; current: Record<string, unknown> };
    expect(read).toMatchObject({
      state: 'on',
      on: ['local'],
      current: { message: 'Back at 15:00', bypass: true },
    });
    expect(JSON.stringify(read)).not.toContain(token);
  });

  it('survives a restart of the agent', async () => {
    const before = project.agentPid() ?? -1;
    process.kill(before, 'SIGKILL');
    await until('a new agent', () => {
      const pid = project.agentPid();
      return Promise.resolve(pid !== null && pid !== before && isProcessAlive(pid) ? pid : undefined);
    });
    expect(await get(`${project.url}/`)).toMatchObject({ status: 503, body: 'Back at 15:00\n' });
    const read = expectOk(await project.cli(['maintenance', 'status', 'production'])).stdout;
    expect(read).toContain('maintenance: ON');
  });

  it('survives a restart of the router process', async () => {
    const pidFile = join(project.dir, '.slipway', 'agent', 'router.pid');
    const before = Number(readFileSync(pidFile, 'utf8'));
    process.kill(before, 'SIGKILL');
    // The keeper starts another router process, which serves routes.json again.
    await until('a new router process', () => {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      return Promise.resolve(pid !== before && isProcessAlive(pid) ? pid : undefined);
    });
    const answer = await until('the port to answer', () => get(`${project.url}/`));
    expect(answer).toMatchObject({ status: 503, body: 'Back at 15:00\n' });
    expect((await get(`${project.url}/`, { [BYPASS]: token })).status).toBe(200);
  });

  it('stays on across a deploy, which the testers reach', async () => {
    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    expect((await get(`${project.url}/`)).status).toBe(503);
    const tester = await get(`${project.url}/`, { [BYPASS]: token });
    expect(tester.headers.get('x-release')).toBe('2.0.0');
  });

  it('turned off under load: no request fails but the 503s before the off was acknowledged', async () => {
    const pool = new Pool(project.url, { connections: 4 });
    const counts = { ok: 0, maintenance: 0, other: [] as string[], lateMaintenance: 0 };
    let ackedAt = Infinity;
    let stop = false;
    const worker = async (): Promise<void> => {
      for (let n = 0; !stop && n < 20_000; n++) {
        const sentAt = performance.now();
        try {
          const res = await pool.request({ path: '/', method: 'GET' });
          await res.body.text();
          if (res.statusCode === 200) counts.ok++;
          else if (res.statusCode === 503 && res.headers['retry-after'] === '120') {
            counts.maintenance++;
            if (sentAt > ackedAt) counts.lateMaintenance++;
          } else counts.other.push(`status ${res.statusCode}`);
        } catch (err) {
          counts.other.push(String(err));
        }
      }
    };
    const workers = Promise.all([worker(), worker(), worker(), worker()]);
    await until('503s under load', () => Promise.resolve(counts.maintenance > 50 ? true : undefined));
    const off = expectOk(await project.cli(['maintenance', 'off', 'production']));
    ackedAt = performance.now();
    expect(off.stdout).toContain('maintenance of production off at local');
    const okAtAck = counts.ok;
    await until('200s after off', () => Promise.resolve(counts.ok > okAtAck + 100 ? true : undefined));
    stop = true;
    await workers;
    await pool.close();
    expect(counts.other).toEqual([]);
    expect(counts.lateMaintenance).toBe(0);
    expect(counts.maintenance).toBeGreaterThan(50);
    expect(counts.ok).toBeGreaterThan(100);
    expect((await get(`${project.url}/`)).status).toBe(200);
    const read = expectOk(await project.cli(['maintenance', 'status', 'production'])).stdout;
    expect(read).toContain('maintenance: off');
  });

  it('is ledgered with who, the message and the hosts, never the token', async () => {
    const events = (await ledger(project)).filter((e) => e.kind.startsWith('maintenance.'));
    expect(events.map((e) => e.kind)).toEqual(['maintenance.on', 'maintenance.off']);
    expect(events[0]?.data).toMatchObject({ hosts: ['local'], message: 'Back at 15:00', retryAfterS: 120 });
    expect(events[0]?.actor).toMatch(/@/);
    const history = expectOk(await project.cli(['history', 'production'])).stdout;
    expect(history).toContain('maintenance of production on at local: "Back at 15:00"');
    expect(history).toContain('maintenance of production off at local');
    expect(JSON.stringify(await ledger(project))).not.toContain(token);
  });
});

describe('slipway maintenance --server', () => {
  let project: TestProject;
  let server: TestServer;

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    server = await startTestServer(project);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await project?.dispose();
  });

  it('turns it on and off for whoever may deploy there, ledgered as them; a viewer only reads it', async () => {
    const alice = await server.token('alice', ['deployer:production']);
    const watcher = await server.token('watcher', ['viewer']);
    const remote = (token: string, args: string[]) =>
      runCli(['--server', server.url, ...args], { SLIPWAY_TOKEN: token });

    const refused = await remote(watcher, ['maintenance', 'on', 'production']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('watcher may not deploy in production');
    expect((await get(`${project.url}/`)).status).toBe(200);

    const on = expectOk(await remote(alice, ['maintenance', 'on', 'production', '--message', 'Remote']));
    const token = tokenOf(on.stdout);
    expect(await get(`${project.url}/`)).toMatchObject({ status: 503, body: 'Remote\n' });
    expect((await get(`${project.url}/`, { [BYPASS]: token })).status).toBe(200);
    const read = expectOk(await remote(watcher, ['maintenance', 'status', 'production'])).stdout;
    expect(read).toMatch(/maintenance: ON since .* by alice: "Remote"/);
    expect(read).not.toContain(token);

    expectOk(await remote(alice, ['maintenance', 'off', 'production']));
    expect((await get(`${project.url}/`)).status).toBe(200);
    const events = (await ledger(project)).filter((e) => e.kind.startsWith('maintenance.'));
    expect(events.map((e) => [e.kind, e.actor])).toEqual([
      ['maintenance.on', 'alice'],
      ['maintenance.off', 'alice'],
    ]);
  });
});

describe('slipway db restore in maintenance mode', () => {
  let project: TestProject;
  let file: string;
  let backupId = '';

  beforeAll(async () => {
    project = await createTestProject();
    file = join(project.dir, 'data', 'app.db');
    mkdirSync(join(project.dir, 'data'));
    mkdirSync(join(project.dir, 'migrations'));
    project.writeConfig(project.config({ environmentExtra: '    database:\n      url: data/app.db' }));
    writeFileSync(
      join(project.dir, 'migrations', '0001_notes.up.sql'),
      'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);',
    );
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    writeFileSync(
      join(project.dir, 'migrations', '0002_tag.up.sql'),
      'ALTER TABLE notes ADD COLUMN tag TEXT;',
    );
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0'])); // backs the database up first
    const backups = JSON.parse(
      expectOk(await project.cli(['db', 'backups', 'production', '--json'])).stdout,
    ) as Array<{ id: string }>;
    backupId = backups[0]?.id ?? '';
    expect(backupId).not.toBe('');
  }, 120_000);
  afterAll(async () => project?.dispose());

  const restore = () => spawnCli(project, ['db', 'restore', 'production', '--backup', backupId, '--yes']);

  it('turns maintenance on before and off after, around the ledger line of the restore', async () => {
    expectOk({ ...(await runToEnd(restore())) });
    const kinds = (await ledger(project)).map((e) => e.kind);
    const at = kinds.lastIndexOf('backup.restored');
    expect(kinds.slice(at - 1, at + 2)).toEqual(['maintenance.on', 'backup.restored', 'maintenance.off']);
    expect((await get(`${project.url}/`)).status).toBe(200);
  });

  it('turns it off again when the restore fails, users held back while it ran', async () => {
    // Another writer holds the database: the restore waits for it (busy timeout), then fails.
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    const run = restore();
    try {
      const during = await until('maintenance during the restore', async () => {
        const answer = await get(`${project.url}/`);
        return answer.status === 503 ? answer : undefined;
      });
      expect(during.body).toBe('We are restoring data and will be back shortly.\n');
    } finally {
      const done = await runToEnd(run);
      holder.exec('ROLLBACK');
      holder.close();
      expect(done.code).not.toBe(0);
      expect(done.stderr).toMatch(/locked|busy/i);
    }
    expect((await get(`${project.url}/`)).status).toBe(200);
    const events = (await ledger(project)).slice(-2);
    expect(events.map((e) => e.kind)).toEqual(['maintenance.on', 'maintenance.off']);
    expect(events[1]?.message).toContain(`around the restore of backup ${backupId}`);
  });

  it('leaves maintenance on when it was on before the restore', async () => {
    const on = expectOk(await project.cli(['maintenance', 'on', 'production', '--message', 'Ours']));
    const token = tokenOf(on.stdout);
    expectOk(await runToEnd(restore()));
    expect(await get(`${project.url}/`)).toMatchObject({ status: 503, body: 'Ours\n' });
    expect((await get(`${project.url}/`, { [BYPASS]: token })).status).toBe(200);
    const kinds = (await ledger(project)).map((e) => e.kind);
    expect(kinds.slice(-2)).toEqual(['maintenance.on', 'backup.restored']);
    expectOk(await project.cli(['maintenance', 'off', 'production']));
  });
});

async function runToEnd(run: ReturnType<typeof spawnCli>) {
  const code = await run.done;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
