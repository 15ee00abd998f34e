import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionView } from '../../src/server/api-types.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Two `slipway server` replicas on one PostgreSQL: what auth keeps in the store (users, sessions, failed
// logins) is shared, so a session made on one works on the other, a logout on one ends it on both, and failures
// spread over both replicas add up to one rate limit.

const PASSWORD = 'ana has a long password';

describe('auth across two replicas on one PostgreSQL', () => {
  let pg: TestPostgres;
  let project: TestProject;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    pg = await startTestPostgres();
    await pg.createDatabase('slipway');
    const storeUrl = pg.url('slipway');
    project = await createTestProject();
    expectOk(
      await project.cli(['user', 'add', 'ana', '--role', 'deployer:production'], {
        SLIPWAY_STORE_URL: storeUrl,
        SLIPWAY_PASSWORD: PASSWORD,
      }),
    );
    a = await startTestServer(project, { storeUrl, args: ['--replica-id', 'a'] });
    b = await startTestServer(project, { storeUrl, args: ['--replica-id', 'b'] });
  }, 180_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await project?.dispose();
    await pg?.stop();
  });

  const login = (server: TestServer, password: string) =>
    fetch(`${server.url}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'ana', password }),
    });

  it('shares sessions: made on one replica, used and ended on the other', async () => {
    const response = await login(a, PASSWORD);
    expect(response.status).toBe(200);
    const cookie = /^(slipway_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1] ?? '';
    const { csrfToken } = (await response.json()) as SessionView;

    const onB = await fetch(`${b.url}/api/v1/session`, { headers: { cookie } });
    expect(await onB.json()).toMatchObject({ name: 'ana', via: 'session', csrfToken });

    const logout = await fetch(`${b.url}/api/v1/logout`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken ?? '' },
    });
    expect(logout.status).toBe(204);
    expect((await fetch(`${a.url}/api/v1/session`, { headers: { cookie } })).status).toBe(401);
  });

  it('counts failed logins on both replicas toward one limit', async () => {
    for (const [i, server] of [a, b, a, b, a].entries()) {
      expect((await login(server, `wrong guess ${i}`)).status).toBe(401);
    }
    for (const server of [a, b]) {
      const refused = await login(server, PASSWORD);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });
});
