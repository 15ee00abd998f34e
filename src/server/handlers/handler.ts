import type { ServerContext, ServerDeps } from '../server-env.js';
import type { Principal } from '../auth/principal.js';

/** One route's answer; the route's middleware has already authenticated and authorized the request. */
export type Handler = (c: ServerContext, deps: ServerDeps) => Promise<Response> | Response;

export function principalOf(c: ServerContext): Principal {
  return c.get('principal');
}
