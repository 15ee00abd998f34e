import type { Action } from './auth/roles.js';

/**
 * Every route the server answers, with who may call it: the single source from which each route's
 * authorization middleware is built (see authorize.ts), so a route cannot be added without its access.
 * docs/server.md lists the same table.
 */
export type RouteAccess =
  /** Anyone: /healthz and the login. */
  | 'public'
  /** Any authenticated principal, whatever its grants. */
  | 'authenticated'
  /**
   * A principal that may do `action` in the route's environment: from the `:env` parameter, from the
   * deployment or job named by `:id`, or none (a listing, then filtered to the granted environments).
   */
  | { action: Action; env: 'param' | 'deployment' | 'job' | 'none' };

export type RouteMethod = 'GET' | 'POST' | 'DELETE';

export interface RouteSpec {
  method: RouteMethod;
  /** Hono's path syntax. */
  path: string;
  access: RouteAccess;
  /** Which part of the server answers it: the API's handlers, or the auth routes (auth-routes.ts). */
  owner: 'api' | 'auth';
}

const read = (env: 'param' | 'deployment' | 'job' | 'none'): RouteAccess => ({ action: 'read', env });
const deploy = (env: 'param' | 'deployment' | 'none'): RouteAccess => ({ action: 'deploy', env });
const admin: RouteAccess = { action: 'admin', env: 'none' };

export const API_BASE = '/api/v1';

export const ROUTES = [
  { method: 'GET', path: '/healthz', access: 'public', owner: 'api' },
  { method: 'GET', path: '/metrics', access: read('none'), owner: 'api' },
  { method: 'POST', path: `${API_BASE}/login`, access: 'public', owner: 'auth' },
  { method: 'POST', path: `${API_BASE}/logout`, access: 'authenticated', owner: 'auth' },
  { method: 'GET', path: `${API_BASE}/session`, access: 'authenticated', owner: 'auth' },
  { method: 'GET', path: `${API_BASE}/environments`, access: read('none'), owner: 'api' },
  { method: 'GET', path: `${API_BASE}/environments/:env`, access: read('param'), owner: 'api' },
  { method: 'GET', path: `${API_BASE}/environments/:env/plan`, access: read('param'), owner: 'api' },
  { method: 'GET', path: `${API_BASE}/environments/:env/logs`, access: read('param'), owner: 'api' },
  { method: 'GET', path: `${API_BASE}/environments/:env/traffic`, access: read('param'), owner: 'api' },
  {
    method: 'POST',
    path: `${API_BASE}/environments/:env/deployments`,
    access: deploy('param'),
    owner: 'api',
  },
  { method: 'POST', path: `${API_BASE}/environments/:env/rollback`, access: deploy('param'), owner: 'api' },
  // Whoever may deploy to an environment may free it from a holder that died elsewhere (ledgered with the reason).
  { method: 'POST', path: `${API_BASE}/environments/:env/unlock`, access: deploy('param'), owner: 'api' },
  // Maintenance mode changes what users get, like a deploy: whoever may deploy there (ledgered, as for unlock).
  {
    method: 'POST',
    path: `${API_BASE}/environments/:env/maintenance`,
    access: deploy('param'),
    owner: 'api',
  },
  { method: 'GET', path: `${API_BASE}/environments/:env/maintenance`, access: read('param'), owner: 'api' },
  { method: 'GET', path: `${API_BASE}/releases`, access: read('none'), owner: 'api' },
  { method: 'POST', path: `${API_BASE}/releases`, access: deploy('none'), owner: 'api' },
  { method: 'GET', path: `${API_BASE}/deployments`, access: read('none'), owner: 'api' },
  { method: 'GET', path: `${API_BASE}/deployments/:id`, access: read('deployment'), owner: 'api' },
  {
    method: 'POST',
    path: `${API_BASE}/deployments/:id/promote`,
    access: deploy('deployment'),
    owner: 'api',
  },
  { method: 'POST', path: `${API_BASE}/deployments/:id/abort`, access: deploy('deployment'), owner: 'api' },
  {
    method: 'POST',
    path: `${API_BASE}/deployments/:id/approve`,
    access: { action: 'approve', env: 'deployment' },
    owner: 'api',
  },
  {
    method: 'POST',
    path: `${API_BASE}/deployments/:id/reject`,
    access: { action: 'approve', env: 'deployment' },
    owner: 'api',
  },
  { method: 'GET', path: `${API_BASE}/jobs/:id`, access: read('job'), owner: 'api' },
  { method: 'GET', path: `${API_BASE}/ledger`, access: read('none'), owner: 'api' },
  { method: 'GET', path: `${API_BASE}/events`, access: read('none'), owner: 'api' },
  { method: 'GET', path: `${API_BASE}/tokens`, access: admin, owner: 'api' },
  { method: 'POST', path: `${API_BASE}/tokens`, access: admin, owner: 'api' },
  { method: 'DELETE', path: `${API_BASE}/tokens/:id`, access: admin, owner: 'api' },
  { method: 'GET', path: `${API_BASE}/users`, access: admin, owner: 'auth' },
  { method: 'POST', path: `${API_BASE}/users`, access: admin, owner: 'auth' },
  { method: 'DELETE', path: `${API_BASE}/users/:name`, access: admin, owner: 'auth' },
] as const satisfies readonly RouteSpec[];

export type Route = (typeof ROUTES)[number];

/** A route's key, e.g. `GET /api/v1/environments/:env`: the handler maps are keyed by it. */
export type RouteKey = `${Route['method']} ${Route['path']}`;
export type ApiRouteKey =
  Extract<Route, { owner: 'api' }> extends infer R
    ? R extends Route
      ? `${R['method']} ${R['path']}`
      : never
    : never;

export function routeKey(route: Pick<RouteSpec, 'method' | 'path'>): RouteKey {
  return `${route.method} ${route.path}` as RouteKey;
}
