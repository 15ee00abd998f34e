import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Authenticator } from './auth/authenticator.js';
import type { Principal } from './auth/principal.js';
import { parseGrant } from './auth/roles.js';
import { authorize, isAllowed } from './authorize.js';
import { mapError } from './map-error.js';
import { ROUTES, routeKey, type RouteSpec } from './routes.js';
import type { ServerEnv } from './server-env.js';

const as = (...grants: string[]): Principal => ({ name: 'p', grants: grants.map(parseGrant), via: 'token' });

describe('the route table', () => {
  it('has each route once, and only /healthz and the login public', () => {
    const keys = ROUTES.map(routeKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(ROUTES.filter((r) => r.access === 'public').map(routeKey)).toEqual([
      'GET /healthz',
      'POST /api/v1/login',
    ]);
    expect(ROUTES.filter((r) => r.access === 'authenticated').map(routeKey)).toEqual([
      'POST /api/v1/logout',
      'GET /api/v1/session',
    ]);
  });

  it('scopes a route with :env to it, and routes with :id to their deployment or job', () => {
    for (const route of ROUTES as readonly RouteSpec[]) {
      if (typeof route.access !== 'object') continue;
      if (route.path.includes(':env')) expect(route.access.env, routeKey(route)).toBe('param');
      if (route.path.includes('/deployments/:id'))
        expect(route.access.env, routeKey(route)).toBe('deployment');
      if (route.path.includes('/jobs/:id')) expect(route.access.env, routeKey(route)).toBe('job');
    }
  });
});

describe('isAllowed', () => {
  const access = (key: string) => {
    const route = (ROUTES as readonly RouteSpec[]).find((r) => routeKey(r) === key);
    if (!route) throw new Error(key);
    return route.access;
  };
  const table: Array<[string, Principal, string | null, boolean]> = [
    ['GET /api/v1/environments/:env', as('viewer:staging'), 'staging', true],
    ['GET /api/v1/environments/:env', as('viewer:staging'), 'production', false],
    ['GET /api/v1/environments', as('viewer:staging'), null, true],
    ['POST /api/v1/environments/:env/deployments', as('viewer'), 'staging', false],
    ['POST /api/v1/environments/:env/deployments', as('deployer:staging'), 'staging', true],
    ['POST /api/v1/environments/:env/deployments', as('deployer:staging'), 'production', false],
    ['POST /api/v1/environments/:env/unlock', as('viewer'), 'production', false],
    ['POST /api/v1/environments/:env/unlock', as('approver'), 'production', false],
    ['POST /api/v1/environments/:env/unlock', as('deployer:staging'), 'production', false],
    ['POST /api/v1/environments/:env/unlock', as('deployer:production'), 'production', true],
    ['POST /api/v1/deployments/:id/approve', as('deployer'), 'production', false],
    ['POST /api/v1/deployments/:id/approve', as('approver:production'), 'production', true],
    ['POST /api/v1/deployments/:id/promote', as('approver'), 'production', false],
    ['POST /api/v1/releases', as('deployer:staging'), null, true],
    ['POST /api/v1/releases', as('approver'), null, false],
    ['GET /api/v1/tokens', as('deployer', 'approver', 'viewer'), null, false],
    ['GET /api/v1/tokens', as('admin'), null, true],
    ['GET /metrics', as('viewer:qa'), null, true],
    ['GET /api/v1/session', as(), null, true],
  ];
  it.each(table)('%s for %j in %s: %s', (key, principal, env, expected) => {
    expect(isAllowed(access(key), principal, env)).toBe(expected);
  });
});

describe('authorize (the middleware built from a route entry)', () => {
  const principals: Record<string, Principal> = {
    'slp_viewer-staging': { name: 'vs', grants: [parseGrant('viewer:staging')], via: 'token' },
    slp_viewer: { name: 'v', grants: [parseGrant('viewer')], via: 'token' },
  };
  const authenticator: Authenticator = {
    authenticate: (request) => {
      const principal = principals[request.header('authorization')?.replace('Bearer ', '') ?? ''];
      return Promise.resolve(
        principal ? { ok: true, principal } : { ok: false, status: 401, error: 'authentication required' },
      );
    },
  };
  const deployments: Record<string, string> = { d1: 'production' };
  const app = new Hono<ServerEnv>();
  app.onError((err, c) => {
    const { status, body } = mapError(err);
    return c.json(body, status);
  });
  for (const route of ROUTES as readonly RouteSpec[]) {
    app.on(
      route.method,
      route.path,
      authorize(
        route,
        { authenticator },
        {
          deployment: (id) => Promise.resolve(deployments[id]),
          job: () => Promise.resolve(undefined),
        },
      ),
      (c) => c.json({ who: c.get('principal')?.name ?? null, environment: c.get('environment') }),
    );
  }
  const call = (path: string, token?: string) =>
    app.request(path, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('lets public routes through without credentials and asks for them elsewhere', async () => {
    expect(await (await call('/healthz')).json()).toEqual({ who: null, environment: null });
    const refused = await call('/api/v1/environments');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'authentication required' });
  });

  it('checks the environment of the path, and of the deployment named by :id', async () => {
    expect(await (await call('/api/v1/environments/staging', 'slp_viewer-staging')).json()).toEqual({
      who: 'vs',
      environment: 'staging',
    });
    const other = await call('/api/v1/environments/production', 'slp_viewer-staging');
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ error: 'vs may not read in production' });
    expect((await call('/api/v1/deployments/d1', 'slp_viewer-staging')).status).toBe(403);
    expect(await (await call('/api/v1/deployments/d1', 'slp_viewer')).json()).toEqual({
      who: 'v',
      environment: 'production',
    });
    expect((await call('/api/v1/deployments/d2', 'slp_viewer')).status).toBe(404);
    expect((await call('/api/v1/jobs/j1', 'slp_viewer')).status).toBe(404);
  });
});
