import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiToken, hashApiToken } from '../../src/server/auth/api-token.js';
import { parseGrant } from '../../src/server/auth/roles.js';
import type { SessionView } from '../../src/server/api-types.js';
import { ROUTES, type RouteSpec } from '../../src/server/routes.js';
import { openStore } from '../../src/store/index.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { startTestServer, storeLocationOf, type TestServer } from '../helpers/server.js';

// The server's auth over real HTTP: `slipway server` (dist/cli.js) on the test project's SQLite store. Every
// entry of ROUTES is tried without credentials, with bad ones and with too few grants, so a new route cannot
// skip auth; then login, its rate limit, logout and CSRF as the dashboard uses them.

const PASSWORD = 'root has a long password';
const ELSEWHERE = 'staging'; // an environment the scoped tokens are about; the project's is production

let project: TestProject;
let server: TestServer;
let deploymentId: string;
let jobId: string;
const tokens: Record<string, string> = {};
let session: { cookie: string; csrf: string };

beforeAll(async () => {
  project = await createTestProject();
  expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
  expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  expectOk(await project.cli(['user', 'add', 'root', '--role', 'admin'], { SLIPWAY_PASSWORD: PASSWORD }));
  server = await startTestServer(project);

  const store = await openStore(storeLocationOf(project));
  try {
    const [deployment] = await store.listDeployments({ app: 'hello', environment: 'production', limit: 1 });
    deploymentId = deployment?.id ?? '';
  } finally {
    await store.close();
  }

  for (const [name, roles] of Object.entries({
    admin: ['admin'],
    viewer: ['viewer'],
    viewerElsewhere: [`viewer:${ELSEWHERE}`],
    deployer: ['deployer'],
    deployerElsewhere: [`deployer:${ELSEWHERE}`],
    approver: ['approver'],
    approverElsewhere: [`approver:${ELSEWHERE}`],
  })) {
    tokens[name] = await server.token(name, roles);
  }
  // Made and revoked with the CLI, as an operator would.
  const created = expectOk(await project.cli(['token', 'create', '--subject', 'gone', '--role', 'admin']));
  tokens.revoked = created.stdout.trim();
  const id = /tok_[0-9a-f]{12}/.exec(created.stderr)?.[0] ?? '';
  expectOk(await project.cli(['token', 'revoke', id]));
  tokens.expired = await expiredToken();

  session = await logIn('root', PASSWORD);
  jobId = await deployThroughServer();
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await project?.dispose();
});

/** An admin token that expired a second ago (written to the store directly: the CLI refuses a past expiry). */
async function expiredToken(): Promise<string> {
  const store = await openStore(storeLocationOf(project));
  try {
    const token = generateApiToken();
    await store.createApiToken({
      id: 'tok_expired',
      subject: 'expired',
      description: '',
      tokenHash: hashApiToken(token),
      grants: [parseGrant('admin')],
      createdBy: 'test',
      createdAtMs: Date.now() - 60_000,
      expiresAtMs: Date.now() - 1000,
    });
    return token;
  } finally {
    await store.close();
  }
}

/** A real job of production (a deploy of the release that runs), for GET /jobs/:id; waits for it to end. */
async function deployThroughServer(): Promise<string> {
  const headers = { authorization: `Bearer ${tokens.deployer}` };
  const response = await post('/api/v1/environments/production/deployments', { release: '1.0.0' }, headers);
  const job = (await response.json()) as { id?: string; error?: string };
  if (response.status !== 202 || !job.id) throw new Error(`no deploy job (${response.status}): ${job.error}`);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const state = (
      (await (await fetch(`${server.url}/api/v1/jobs/${job.id}`, { headers })).json()) as { state: string }
    ).state;
    if (state === 'succeeded' || state === 'failed') return job.id;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${job.id} did not end within a minute`);
}

async function logIn(user: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const response = await post('/api/v1/login', { user, password });
  expect(response.status).toBe(200);
  const cookie = /^(slipway_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1] ?? '';
  const view = (await response.json()) as SessionView;
  return { cookie, csrf: view.csrfToken ?? '' };
}

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** The route's path with real values: the project's environment, its deployment, ids that do not exist. */
function pathOf(route: RouteSpec): string {
  return route.path
    .replace(':env', 'production')
    .replace(':name', 'nobody')
    .replace(':id', idFor(route.path));
}

function idFor(path: string): string {
  if (path.startsWith('/api/v1/deployments/')) return deploymentId;
  if (path.startsWith('/api/v1/jobs/')) return jobId;
  return 'none';
}

/**
 * Calls a route. Unsafe methods send a JSON string where an object is expected, so a request that passes auth
 * is refused by the handler's validation (400) and changes nothing; streams are cancelled after the headers.
 */
async function call(
  route: RouteSpec,
  auth: { token?: string; cookie?: string; csrf?: string },
): Promise<{ status: number; body: string; headers: Headers }> {
  const controller = new AbortController();
  const response = await fetch(`${server.url}${pathOf(route)}`, {
    method: route.method,
    signal: controller.signal,
    headers: {
      ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
      ...(auth.cookie ? { cookie: auth.cookie } : {}),
      ...(auth.csrf ? { 'x-csrf-token': auth.csrf } : {}),
      ...(route.method === 'GET' ? {} : { 'content-type': 'application/json' }),
    },
    ...(route.method === 'GET' ? {} : { body: JSON.stringify('not an object') }),
  });
  const stream = response.headers.get('content-type')?.startsWith('text/event-stream') === true;
  const body = stream ? '' : await response.text();
  controller.abort();
  return { status: response.status, body, headers: response.headers };
}

/** Tokens that lack what the route needs: a viewer for deploy routes, a deployer for approve, other environments. */
function underPrivileged(route: RouteSpec): string[] {
  const access = route.access;
  if (access === 'public' || access === 'authenticated') return [];
  const scoped = access.env !== 'none';
  switch (access.action) {
    case 'read':
      // Every role reads somewhere; a listing answers what the grants allow, so only a scoped route can refuse.
      return scoped ? ['viewerElsewhere', 'deployerElsewhere', 'approverElsewhere'] : [];
    case 'deploy':
      return ['viewer', 'approver', ...(scoped ? ['deployerElsewhere'] : [])];
    case 'approve':
      return ['viewer', 'deployer', ...(scoped ? ['approverElsewhere'] : [])];
    case 'admin':
      return ['viewer', 'deployer', 'approver', 'deployerElsewhere'];
  }
}

const protectedRoutes = ROUTES.filter((r) => r.access !== 'public');
const unsafeRoutes = protectedRoutes.filter((r) => r.method !== 'GET');

describe('every route refuses', () => {
  it('has a deployment to ask about, and only /healthz and the login are public', () => {
    expect(deploymentId).toMatch(/\S/);
    expect(jobId).toMatch(/\S/);
    expect(ROUTES.filter((r) => r.access === 'public').map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /healthz',
      'POST /api/v1/login',
    ]);
  });

  it.each(protectedRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: no, wrong, revoked or expired token → 401',
    async (_name, route) => {
      for (const token of [
        undefined,
        'slp_wrongwrongwrongwrongwrongwrongwrongwrongwro',
        'not-even-a-token',
      ]) {
        const answer = await call(route, token === undefined ? {} : { token });
        expect(answer.status, `${token ?? 'no token'}: ${answer.body}`).toBe(401);
        expect(JSON.parse(answer.body)).toMatchObject({ error: expect.any(String) as string });
      }
      for (const name of ['revoked', 'expired']) {
        const answer = await call(route, { token: tokens[name] ?? '' });
        expect(answer.status, `${name}: ${answer.body}`).toBe(401);
      }
    },
  );

  it.each(protectedRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: each under-privileged token → 403; an admin passes auth',
    async (_name, route) => {
      for (const name of underPrivileged(route)) {
        const answer = await call(route, { token: tokens[name] ?? '' });
        expect(answer.status, `${name}: ${answer.body}`).toBe(403);
        expect(answer.body).toMatch(/may not/);
      }
      // The control: the same request with every grant is not refused by auth (whatever the handler answers).
      const admin = await call(route, { token: tokens.admin ?? '' });
      expect([401, 403], `admin: ${admin.body}`).not.toContain(admin.status);
    },
  );

  it.each(unsafeRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: a session without its CSRF token → 403',
    async (_name, route) => {
      const missing = await call(route, { cookie: session.cookie });
      expect(missing.status, missing.body).toBe(403);
      expect(missing.body).toContain('X-CSRF-Token');
      const wrong = await call(route, { cookie: session.cookie, csrf: `${session.csrf.slice(0, -2)}xx` });
      expect(wrong.status, wrong.body).toBe(403);
      // With it (logout excepted: it would end the session the other cases use), auth lets it through.
      if (route.path !== '/api/v1/logout') {
        const right = await call(route, { cookie: session.cookie, csrf: session.csrf });
        expect([401, 403], right.body).not.toContain(right.status);
      }
    },
  );
});

describe('dashboard login', () => {
  it('gives a session that works, refuses a wrong password alike to a wrong name, then throttles', async () => {
    const mine = await logIn('root', PASSWORD);
    const view = await fetch(`${server.url}/api/v1/session`, { headers: { cookie: mine.cookie } });
    expect(await view.json()).toEqual({
      name: 'root',
      via: 'session',
      grants: [{ role: 'admin', environments: '*' }],
      csrfToken: mine.csrf,
    });

    // Users made over the API by this session (with its CSRF token) can log in.
    const created = await post(
      '/api/v1/users',
      { name: 'vic', password: 'vic has a long password', roles: ['viewer:production'] },
      { cookie: mine.cookie, 'x-csrf-token': mine.csrf },
    );
    expect(created.status).toBe(201);

    const wrongPassword = await post('/api/v1/login', { user: 'vic', password: 'not the password' });
    const wrongName = await post('/api/v1/login', { user: 'vicky', password: 'not the password' });
    expect([wrongPassword.status, wrongName.status]).toEqual([401, 401]);
    expect(await wrongPassword.json()).toEqual(await wrongName.json());
    expect(wrongPassword.headers.get('set-cookie')).toBeNull();

    for (let i = 0; i < 4; i++) {
      expect((await post('/api/v1/login', { user: 'vic', password: `guess ${i}` })).status).toBe(401);
    }
    const throttled = await post('/api/v1/login', { user: 'vic', password: 'vic has a long password' });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(throttled.headers.get('set-cookie')).toBeNull();
    // Another user from the same address is not affected (5 failures are far from the address's 20).
    expect((await post('/api/v1/login', { user: 'root', password: PASSWORD })).status).toBe(200);

    const ledger = await fetch(`${server.url}/api/v1/ledger?kind=auth.login-throttled`, {
      headers: { authorization: `Bearer ${tokens.admin}` },
    });
    const events = (await ledger.json()) as Array<{ kind: string; message: string }>;
    expect(events.map((e) => e.kind)).toEqual(['auth.login-throttled']);
    expect(events[0]?.message).toContain('vic');
    expect(JSON.stringify(events)).not.toMatch(/guess|long password/);
  });

  it('sets the cookie HttpOnly, SameSite=Strict, Path=/, and Secure only when a local proxy says https', async () => {
    const response = await post('/api/v1/login', { user: 'root', password: PASSWORD });
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie.split('; ').slice(1)).toEqual(['Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=604800']);
    // Through a TLS proxy on this machine (the test's requests come from loopback, as a local proxy's do).
    const proxied = await post(
      '/api/v1/login',
      { user: 'root', password: PASSWORD },
      { 'x-forwarded-proto': 'https' },
    );
    expect(proxied.headers.get('set-cookie')?.split('; ')).toContain('Secure');
  });

  it('ends the session on logout', async () => {
    const mine = await logIn('root', PASSWORD);
    const logout = await post('/api/v1/logout', {}, { cookie: mine.cookie, 'x-csrf-token': mine.csrf });
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toMatch(/^slipway_session=; .*Max-Age=0/);
    const after = await fetch(`${server.url}/api/v1/session`, { headers: { cookie: mine.cookie } });
    expect(after.status).toBe(401);
    // The other session is untouched.
    const other = await fetch(`${server.url}/api/v1/session`, { headers: { cookie: session.cookie } });
    expect(other.status).toBe(200);
  });

  it('puts the security headers on answers, refusals included', async () => {
    const answers = [
      await fetch(`${server.url}/healthz`),
      await fetch(`${server.url}/api/v1/session`),
      await fetch(`${server.url}/api/v1/session`, { headers: { cookie: session.cookie } }),
      await post('/api/v1/login', { user: 'root', password: 'wrong password here' }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 401, 200, 401]);
    for (const answer of answers) {
      expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
      expect(answer.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    }
    for (const answer of answers.slice(1)) expect(answer.headers.get('cache-control')).toBe('no-store');
  });
});
