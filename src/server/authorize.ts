import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Principal } from './auth/principal.js';
import { can } from './auth/roles.js';
import { UnknownNameError } from '../core/errors.js';
import { HttpError } from './map-error.js';
import type { RouteAccess, RouteSpec } from './routes.js';
import type { ServerDeps, ServerEnv } from './server-env.js';

/** Where an environment-scoped route finds its environment (a deployment's or job's, looked up by `:id`). */
export interface EnvironmentResolvers {
  deployment(id: string): Promise<string | undefined>;
  /** A job of no environment (a release build) resolves to null. */
  job(id: string): Promise<string | null | undefined>;
}

/**
 * Whether a principal may use a route, given the environment the route is about (pure). 'none' routes ask
 * whether the principal may do the action anywhere; their answers are filtered to the granted environments.
 */
export function isAllowed(access: RouteAccess, principal: Principal, environment: string | null): boolean {
  if (access === 'public' || access === 'authenticated') return true;
  return can(principal.grants, access.action, environment);
}

/** The middleware of one route, built from its entry in ROUTES: authenticate, resolve the environment, check. */
export function authorize(
  route: RouteSpec,
  deps: Pick<ServerDeps, 'authenticator'>,
  resolvers: EnvironmentResolvers,
): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    c.set('route', route);
    c.set('environment', null);
    if (route.access === 'public') return next();
    const result = await deps.authenticator.authenticate({
      method: c.req.method,
      header: (name) => c.req.header(name),
      cookie: (name) => getCookie(c, name),
    });
    if (!result.ok) throw new HttpError(result.status, result.error, hintFor(result.status));
    const principal = result.principal;
    c.set('principal', principal);
    if (route.access === 'authenticated') return next();
    const environment = await resolveEnvironment(route.access, (name) => c.req.param(name), resolvers);
    if (!isAllowed(route.access, principal, environment)) {
      throw new HttpError(
        403,
        `${principal.name} may not ${route.access.action}${environment ? ` in ${environment}` : ''}`,
        {
          hint: `this needs a grant with the ${route.access.action} action${environment ? ` over ${environment}` : ''} (e.g. ${exampleRole(route.access.action)}${environment && route.access.action !== 'admin' ? `:${environment}` : ''})`,
        },
      );
    }
    c.set('environment', environment);
    return next();
  };
}

async function resolveEnvironment(
  access: Exclude<RouteAccess, 'public' | 'authenticated'>,
  param: (name: string) => string | undefined,
  resolvers: EnvironmentResolvers,
): Promise<string | null> {
  const id = param('id') ?? '';
  switch (access.env) {
    case 'none':
      return null;
    case 'param':
      return param('env') ?? null;
    case 'deployment': {
      const environment = await resolvers.deployment(id);
      if (environment === undefined) throw new UnknownNameError(`no deployment ${id}`);
      return environment;
    }
    case 'job': {
      const environment = await resolvers.job(id);
      if (environment === undefined) throw new UnknownNameError(`no job ${id}`);
      return environment;
    }
  }
}

function exampleRole(action: string): string {
  return action === 'read'
    ? 'viewer'
    : action === 'approve'
      ? 'approver'
      : action === 'admin'
        ? 'admin'
        : 'deployer';
}

function hintFor(status: 401 | 403): { hint: string } {
  return status === 401
    ? { hint: 'send Authorization: Bearer <token> ("slipway token create" makes one), or log in' }
    : { hint: 'a dashboard session must send its X-CSRF-Token on POST and DELETE' };
}
