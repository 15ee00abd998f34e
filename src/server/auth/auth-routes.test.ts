import { Hono } from 'hono';
import type { ServerEnv } from '../server-env.js';
import { describe, expect, it } from 'vitest';
import { useTempStores } from '../../store/test-fixtures.js';
import type { Store } from '../../store/index.js';
import type { SessionView } from '../api-types.js';
import { DEFAULT_AUTH_POLICY } from './auth-policy.js';
import { mountAuthRoutes } from './auth-routes.js';
import { createAuthenticator } from './authenticator.js';
import { createApiTokenFor, revokeApiTokenBy } from './manage-api-tokens.js';
import { addUser } from './manage-users.js';
import { parseGrant } from './roles.js';

// The routes in-process (hono's app.request) on a real SQLite store, with a clock the test moves.
// The same routes over real HTTP, behind `slipway server`, are in test/integration/server-auth.test.ts.
const H = 3_600_000;
const PASSWORD = 'a long enough password';

async function setUp(store: Store) {
  const clock = {
    now: Date.UTC(2026, 0, 1),
    nowMs() {
      return this.now;
    },
  };
  const authenticator = createAuthenticator({ store, clock });
  const app = new Hono<ServerEnv>();
  mountAuthRoutes(app, { store, clock, app: 'hello', authenticator });
  const context = { store, clock, app: 'hello', actor: 'root' };
  await addUser(context, { name: 'ana', password: PASSWORD, grants: [parseGrant('admin')] });
  await addUser(context, { name: 'vic', password: PASSWORD, grants: [parseGrant('viewer:staging')] });
  const call = (
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    app.request(path, {
      method,
      headers: { 'content-type': 'application/json', ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  const login = async (user: string, password = PASSWORD) => {
    const response = await call('POST', '/api/v1/login', { body: { user, password } });
    const cookie = /slipway_session=([^;]*)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
    return { response, cookie: cookie === undefined ? '' : `slipway_session=${cookie}` };
  };
  return { clock, call, login, context };
}

describe('auth routes', () => {
  const stores = useTempStores('sqlite');

  it('logs in with a cookie and CSRF token; a session POST needs the token', async () => {
    const { call, login } = await setUp(await stores.open());
    const { response, cookie } = await login('ana');
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toMatch(
      /^slipway_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=604800$/,
    );
    const session = (await response.json()) as SessionView;
    expect(session).toMatchObject({
      name: 'ana',
      via: 'session',
      grants: [{ role: 'admin', environments: '*' }],
    });
    expect(session.csrfToken).toMatch(/^[\w-]{43}$/);

    expect(await (await call('GET', '/api/v1/session', { headers: { cookie } })).json()).toEqual(session);
    const newUser = { name: 'carl', password: PASSWORD, roles: ['deployer:staging'] };
    const withoutCsrf = await call('POST', '/api/v1/users', { headers: { cookie }, body: newUser });
    expect(withoutCsrf.status).toBe(403);
    // One character changed — always to another one: a token's last character is 'A' one time in 16.
    const token = session.csrfToken ?? '';
    const wrongToken = `${token.slice(0, -1)}${token.endsWith('A') ? 'E' : 'A'}`;
    const wrongCsrf = await call('POST', '/api/v1/users', {
      headers: { cookie, 'x-csrf-token': wrongToken },
      body: newUser,
    });
    expect(wrongCsrf.status).toBe(403);
    const withCsrf = await call('POST', '/api/v1/users', {
      headers: { cookie, 'x-csrf-token': session.csrfToken ?? '' },
      body: newUser,
    });
    expect(withCsrf.status).toBe(201);
    expect(await withCsrf.json()).toMatchObject({ name: 'carl', createdBy: 'ana' });
  });

  it('answers a wrong name and a wrong password alike, then throttles with Retry-After', async () => {
    const store = await stores.open();
    const { login, clock } = await setUp(store);
    const unknown = await login('nobody', 'whatever it is');
    const wrong = await login('ana', 'not the password');
    expect([unknown.response.status, wrong.response.status]).toEqual([401, 401]);
    expect(await unknown.response.json()).toEqual(await wrong.response.json());

    for (let i = 0; i < 4; i++) expect((await login('ana', 'still not it')).response.status).toBe(401);
    const throttled = await login('ana'); // even the right password, during the throttle
    expect(throttled.response.status).toBe(429);
    expect(throttled.response.headers.get('retry-after')).toBe(String(15 * 60));
    expect(throttled.cookie).toBe('');
    const events = await store.listEvents({ app: 'hello', kinds: ['auth.login-throttled'], limit: 10 });
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain('still not it');

    clock.now += 15 * 60_000;
    expect((await login('ana')).response.status).toBe(200);
  });

  // Attempts are recorded before the password is checked, so parallel ones see each other (in-process they may
  // all see all the others and all be refused: safe, and what a burst of 12 from one client deserves).
  it('gives parallel attempts no more guesses than the limit', async () => {
    const { login } = await setUp(await stores.open());
    const answers = await Promise.all(Array.from({ length: 12 }, () => login('ana', 'a wrong guess')));
    const statuses = answers.map((a) => a.response.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
  });

  it('ends a session on logout, after 12 h idle and after 7 days', async () => {
    const { call, login, clock } = await setUp(await stores.open());
    const session = async (cookie: string) =>
      (await call('GET', '/api/v1/session', { headers: { cookie } })).status;

    const first = await login('vic');
    const csrf = ((await first.response.json()) as SessionView).csrfToken ?? '';
    const logout = await call('POST', '/api/v1/logout', {
      headers: { cookie: first.cookie, 'x-csrf-token': csrf },
    });
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toContain('Max-Age=0');
    expect(await session(first.cookie)).toBe(401);

    // Logging in again from the same browser replaces its session.
    const before = await login('vic');
    const again = await call('POST', '/api/v1/login', {
      headers: { cookie: before.cookie },
      body: { user: 'vic', password: PASSWORD },
    });
    expect(again.status).toBe(200);
    expect(await session(before.cookie)).toBe(401);

    const idle = await login('vic');
    clock.now += 11 * H;
    expect(await session(idle.cookie)).toBe(200);
    clock.now += 11 * H; // 11 h since last use
    expect(await session(idle.cookie)).toBe(200);
    clock.now += 12 * H;
    expect(await session(idle.cookie)).toBe(401);

    const busy = await login('vic');
    // Used every 10 h (never idle for 12 h), it still ends after 7 days: 17 uses up to 160 h, refused at 170 h.
    for (let hours = 0; hours < 168; hours += 10) {
      expect(await session(busy.cookie)).toBe(200);
      clock.now += 10 * H;
    }
    expect(await session(busy.cookie)).toBe(401);
    expect(DEFAULT_AUTH_POLICY.sessionAbsoluteTimeoutMs).toBe(7 * 24 * H);
  });

  it('takes a bearer token instead of a cookie, refuses it once revoked, and lets only admins manage users', async () => {
    const store = await stores.open();
    const { call, login, context } = await setUp(store);
    const viewer = await createApiTokenFor(context, {
      subject: 'dash',
      description: '',
      grants: [parseGrant('viewer')],
      expiresInMs: H,
    });
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    expect(await (await call('GET', '/api/v1/session', { headers: as(viewer.token) })).json()).toEqual({
      name: 'dash',
      via: 'token',
      grants: [{ role: 'viewer', environments: '*' }],
      csrfToken: null,
    });
    expect((await call('GET', '/api/v1/users', { headers: as(viewer.token) })).status).toBe(403);
    expect((await call('GET', '/api/v1/users')).status).toBe(401);

    // A bad Authorization header is refused even beside a good cookie: the token decides.
    const { cookie } = await login('ana');
    expect((await call('GET', '/api/v1/session', { headers: { cookie } })).status).toBe(200);
    const both = await call('GET', '/api/v1/session', {
      headers: { cookie, authorization: 'Bearer slp_nope' },
    });
    expect(both.status).toBe(401);

    await revokeApiTokenBy(context, viewer.record.id);
    expect((await call('GET', '/api/v1/session', { headers: as(viewer.token) })).status).toBe(401);
    const events = await store.listEvents({ app: 'hello', limit: 50 });
    expect(events.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['auth.token-created', 'auth.token-revoked', 'auth.user-added']),
    );
    expect(JSON.stringify(events)).not.toContain(viewer.token);
  });

  it('refuses a short password and a duplicate user with the reason', async () => {
    const { call, context } = await setUp(await stores.open());
    const admin = await createApiTokenFor(context, {
      subject: 'root-token',
      description: '',
      grants: [parseGrant('admin')],
      expiresInMs: null,
    });
    const headers = { authorization: `Bearer ${admin.token}` };
    const short = await call('POST', '/api/v1/users', {
      headers,
      body: { name: 'x', password: 'short', roles: ['viewer'] },
    });
    expect(short.status).toBe(400);
    expect(((await short.json()) as { error: string }).error).toMatch(/too short/);
    const again = await call('POST', '/api/v1/users', {
      headers,
      body: { name: 'ana', password: PASSWORD, roles: ['viewer'] },
    });
    expect(again.status).toBe(409);
    expect((await call('DELETE', '/api/v1/users/vic', { headers })).status).toBe(204);
    expect(await (await call('GET', '/api/v1/users', { headers })).json()).toEqual([
      expect.objectContaining({ name: 'ana' }),
    ]);
  });
});
