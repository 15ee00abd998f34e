import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { API_HANDLERS } from './api-handlers.js';
import { authorize, type EnvironmentResolvers } from './authorize.js';
import { mountAuthRoutes } from './auth/auth-routes.js';
import { HttpError, mapError } from './map-error.js';
import { API_BASE, ROUTES, routeKey, type ApiRouteKey, type RouteSpec } from './routes.js';
import { serveDashboard } from './static-files.js';
import { securityHeaders } from './security-headers.js';
import type { ServerDeps, ServerEnv } from './server-env.js';

/** API request bodies are small JSON objects (a deploy's reason, a token's roles). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The server's HTTP app: secure headers and error mapping around every answer; each route of ROUTES behind the
 * authorization built from its entry, then its handler. `slipway server` serves it; tests can serve it on port 0.
 */
export function createServerApp(deps: ServerDeps): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const headers = securityHeaders({ https: deps.https, api: c.req.path.startsWith('/api/') });
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    // By the route's pattern (ids would make a series per deployment); everything else is the dashboard's.
    const route = c.get('route') as RouteSpec | undefined;
    const pattern = route?.path ?? (c.req.path.startsWith(`${API_BASE}/`) ? 'unknown' : 'dashboard');
    deps.metrics.observe(c.req.method, pattern, c.res.status, (performance.now() - started) / 1000);
  });

  app.onError((err, c) => {
    const { status, body, unexpected } = mapError(err);
    if (unexpected)
      deps.log(
        `${c.req.method} ${c.req.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    return c.json(body, status);
  });

  // Every API body is a small JSON object; a large one is refused before it is read into memory.
  app.use(
    `${API_BASE}/*`,
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ error: `the request body is larger than ${MAX_BODY_BYTES} bytes` }, 413),
    }),
  );

  const resolvers: EnvironmentResolvers = {
    deployment: async (id) => {
      const d = await deps.project.store.getDeployment(id);
      return d && d.app === deps.project.config.app ? d.environment : undefined;
    },
    job: async (id) => (await deps.jobs.get(id))?.environment,
  };
  for (const route of ROUTES) app.on(route.method, route.path, authorize(route, deps, resolvers));
  // Login, logout, the session and users: the auth part's handlers of the routes ROUTES gives it.
  const { store, clock, config } = deps.project;
  mountAuthRoutes(app, {
    store,
    clock,
    app: config.app,
    authenticator: deps.authenticator,
    https: deps.https,
  });

  for (const route of ROUTES) {
    if (route.owner !== 'api') continue;
    const handler = API_HANDLERS[routeKey(route) as ApiRouteKey];
    app.on(route.method, route.path, (c) => handler(c, deps));
  }

  app.all(`${API_BASE}/*`, () => {
    throw new HttpError(404, 'no such route', { hint: 'docs/server.md lists the routes' });
  });
  app.get('*', (c) => serveDashboard(c, deps.webRoot));
  return app;
}
