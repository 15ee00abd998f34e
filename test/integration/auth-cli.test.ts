import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { generateApiToken, hashApiToken } from '../../src/server/auth/api-token.js';
import { createAuthenticator } from '../../src/server/auth/authenticator.js';
import { loginWithPassword } from '../../src/server/auth/login-with-password.js';
import { parseGrant } from '../../src/server/auth/roles.js';
import { DEFAULT_AUTH_POLICY } from '../../src/server/auth/auth-policy.js';
import { openStore, type Store } from '../../src/store/index.js';
import { CLI, createTestProject, expectOk, type CliResult, type TestProject } from '../helpers/project.js';

// `slipway token` and `slipway user` with the real CLI (dist/cli.js) on a project's SQLite store; what they made
// is then checked through the server's own authentication code on that store.

let project: TestProject;
const stores: Store[] = [];
beforeEach(async () => {
  project = await createTestProject();
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await project.dispose();
});

async function openProjectStore(): Promise<Store> {
  const store = await openStore({ kind: 'sqlite', file: join(project.dir, '.slipway', 'slipway.db') });
  stores.push(store);
  return store;
}

async function authenticate(token: string) {
  const authenticator = createAuthenticator({ store: await openProjectStore(), clock: systemClock });
  return authenticator.authenticate({
    method: 'GET',
    header: (name) => (name === 'authorization' ? `Bearer ${token}` : undefined),
    cookie: () => undefined,
  });
}

/** The CLI with `input` on its stdin (a pipe, as in `echo … | slipway user add`). */
function cliWithStdin(args: string[], input: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '-c', join(project.dir, 'slipway.yml'), ...args], {
      env: { ...process.env, NO_COLOR: '1', SLIPWAY_PASSWORD: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('slipway token', () => {
  it('creates a token shown once that authenticates, lists it without its hash, and revokes it', async () => {
    const created = expectOk(
      await project.cli(
        [
          'token',
          'create',
          '--subject',
          'ci',
          '--role',
          'deployer:staging,production',
          '--role',
          'viewer',
          '--expires',
          '90d',
          '--description',
          'the build server',
        ],
        { SLIPWAY_USER: 'root' },
      ),
    );
    const token = created.stdout.trim();
    expect(token).toMatch(/^slp_[\w-]{43}$/);
    expect(created.stderr).toMatch(/token tok_[0-9a-f]{12} for ci \(deployer:staging,production viewer\)/);

    expect(await authenticate(token)).toEqual({
      ok: true,
      principal: {
        name: 'ci',
        via: 'token',
        grants: [
          { role: 'deployer', environments: ['staging', 'production'] },
          { role: 'viewer', environments: '*' },
        ],
      },
    });

    const listed = expectOk(await project.cli(['token', 'list'])).stdout;
    const id = /tok_[0-9a-f]{12}/.exec(listed)?.[0] ?? '';
    expect(listed).toMatch(/ID\s+SUBJECT\s+ROLES\s+CREATED\s+LAST USED\s+EXPIRES\s+REVOKED/);
    expect(listed).toContain('ci');
    expect(listed).not.toContain(token);
    expect(listed).not.toContain(hashApiToken(token));
    const json = expectOk(await project.cli(['token', 'list', '--json'])).stdout;
    expect(json).not.toContain(hashApiToken(token));
    expect(JSON.parse(json)).toEqual([
      expect.objectContaining({
        id,
        subject: 'ci',
        description: 'the build server',
        createdBy: 'root',
        revokedAtMs: null,
      }),
    ]);

    expectOk(await project.cli(['token', 'revoke', id]));
    expect(await authenticate(token)).toMatchObject({ ok: false, status: 401 });
    const again = await project.cli(['token', 'revoke', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already revoked');

    const history = expectOk(await project.cli(['history', '--json', '--limit', '50'])).stdout;
    const kinds = (JSON.parse(history) as Array<{ kind: string }>).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['auth.token-created', 'auth.token-revoked']));
    expect(history).not.toContain(token);
    expect(history).not.toContain(hashApiToken(token));
  });

  it('refuses an unknown role, and a bad or too long expiry before storing anything (exit 2 for bad input)', async () => {
    const role = await project.cli(['token', 'create', '--subject', 'ci', '--role', 'root']);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('unknown role "root"');
    const create = (expires: string) =>
      project.cli(['token', 'create', '--subject', 'ci', '--role', 'viewer', '--expires', expires]);
    for (const [expires, reason] of [
      ['soon', 'Not a duration (e.g. 90d, 12h or 30m).'],
      ['0d', 'A token must live for some time (e.g. 90d).'],
      ['3651d', 'Longer than 3650d (10 years), the longest a token may live.'],
      ['99999999999d', 'Longer than 3650d (10 years), the longest a token may live.'],
    ] as const) {
      const refused = await create(expires);
      expect(refused).toMatchObject({ code: 2, stdout: '' });
      expect(refused.stderr.split('\n')[0]).toBe(
        `error: option '--expires <duration>' argument '${expires}' is invalid. ${reason}`,
      );
    }
    expect(expectOk(await project.cli(['token', 'list'])).stdout).toContain('no tokens yet');

    const longest = expectOk(await create('3650d'));
    expect(longest.stderr).toMatch(/, expires \d{4}-\d\d-\d\dT[\d:.]+Z; it is shown only now/);
  });

  it('lists the tokens whatever times the store holds; one that is no date shows as invalid', async () => {
    const store = await openProjectStore();
    const stored = (id: string, expiresAtMs: number) =>
      store.createApiToken({
        id,
        subject: id,
        description: '',
        tokenHash: hashApiToken(generateApiToken()),
        grants: [parseGrant('viewer')],
        createdBy: 'test',
        createdAtMs: Date.UTC(2026, 0, 1),
        expiresAtMs,
      });
    // As `token create --expires 99999999999d` stored it before expiries were bounded.
    await stored('tok_far', Date.UTC(2026, 0, 1) + 99_999_999_999 * 86_400_000);
    await stored('tok_garbled', Date.UTC(2027, 0, 1));
    const db = new Database(join(project.dir, '.slipway', 'slipway.db'));
    try {
      db.prepare("UPDATE api_tokens SET expires_at_ms = 'soon' WHERE id = 'tok_garbled'").run();
    } finally {
      db.close();
    }

    const listed = expectOk(await project.cli(['token', 'list'])).stdout;
    expect(listed).toMatch(
      /^tok_far +tok_far +viewer +2026-01-01T00:00:00.000Z +- +invalid \(8640001767139200000\) +-$/m,
    );
    expect(listed).toMatch(
      /^tok_garbled +tok_garbled +viewer +2026-01-01T00:00:00.000Z +- +invalid \(NaN\) +-$/m,
    );
    const json = JSON.parse(expectOk(await project.cli(['token', 'list', '--json'])).stdout) as Array<{
      id: string;
    }>;
    expect(json.map((t) => t.id).sort()).toEqual(['tok_far', 'tok_garbled']);
  });
});

describe('slipway user', () => {
  it('adds users with passwords from SLIPWAY_PASSWORD or stdin, lists, changes a password and removes', async () => {
    expectOk(
      await project.cli(['user', 'add', 'ana', '--role', 'admin'], {
        SLIPWAY_PASSWORD: 'ana has a long password',
      }),
    );
    expectOk(
      await cliWithStdin(
        ['user', 'add', 'bob', '--role', 'approver:production'],
        'bob has a long password\n',
      ),
    );

    const short = await project.cli(['user', 'add', 'eve', '--role', 'viewer'], {
      SLIPWAY_PASSWORD: 'short',
    });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('too short (at least 12 characters)');
    const dup = await project.cli(['user', 'add', 'ana', '--role', 'viewer'], {
      SLIPWAY_PASSWORD: 'another long password',
    });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('user ana exists');

    const listed = expectOk(await project.cli(['user', 'list'])).stdout;
    expect(listed).toMatch(/ana\s+admin/);
    expect(listed).toMatch(/bob\s+approver:production/);
    expect(listed).not.toContain('scrypt');

    const store = await openProjectStore();
    const login = (user: string, password: string) =>
      loginWithPassword({ store, clock: systemClock, app: 'hello' }, DEFAULT_AUTH_POLICY, {
        user,
        password,
        address: '127.0.0.1',
      });
    expect(await login('bob', 'bob has a long password')).toMatchObject({ kind: 'logged-in' });

    expectOk(await cliWithStdin(['user', 'passwd', 'bob'], 'bob has a new long password\n'));
    expect(await login('bob', 'bob has a long password')).toEqual({ kind: 'refused' });
    expect(await login('bob', 'bob has a new long password')).toMatchObject({ kind: 'logged-in' });

    expectOk(await project.cli(['user', 'remove', 'bob']));
    expect(await login('bob', 'bob has a new long password')).toEqual({ kind: 'refused' });
    expect(expectOk(await project.cli(['user', 'list'])).stdout).not.toContain('bob');

    const history = expectOk(await project.cli(['history', '--json', '--limit', '50'])).stdout;
    const kinds = (JSON.parse(history) as Array<{ kind: string }>).map((e) => e.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['auth.user-added', 'auth.password-changed', 'auth.user-removed']),
    );
    expect(history).not.toContain('long password');
  });
});
