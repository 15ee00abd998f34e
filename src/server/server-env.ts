import type { Context } from 'hono';
import { actingAs, type ControlPlane } from '../control-plane/control-plane.js';
import type { StatusProject } from '../operations/collect-status.js';
import type { Authenticator } from './auth/authenticator.js';
import type { Principal } from './auth/principal.js';
import type { JobRunner } from './jobs/job-runner.js';
import type { RouteSpec } from './routes.js';
import type { EventHub } from './events/event-hub.js';
import type { ServerMetrics } from './metrics/server-metrics.js';

/** The project the server opened once: the control plane plus its local host (for status and logs). */
export type ServerProject = StatusProject;

/** What the HTTP app needs; `slipway server` (the CLI's server verb) wires the real ones, tests too. */
export interface ServerDeps {
  project: ServerProject;
  authenticator: Authenticator;
  jobs: JobRunner;
  /** This process's name among the replicas sharing one store (in /healthz and the jobs it claims). */
  replicaId: string;
  /** dist/web (the dashboard's build), or null when the server has none. */
  webRoot: string | null;
  /** Served over https (adds Strict-Transport-Security and Secure cookies). */
  https: boolean;
  /** The server's own log (stderr): stacks of unexpected errors go here, never into answers. */
  log(line: string): void;
  /** SSE clients and what the store poller hands them. */
  events: EventHub;
  metrics: ServerMetrics;
}

/** What the authorization middleware leaves on the context for the handlers. */
export interface ServerVariables {
  principal: Principal;
  route: RouteSpec;
  /** The environment the route's access was checked in (null for listings and public routes). */
  environment: string | null;
}

export interface ServerEnv {
  Variables: ServerVariables;
}

export type ServerContext = Context<ServerEnv>;

/** The control plane acting for the request's principal: every mutation is ledgered with who did it. */
export function controlPlaneFor(project: ServerProject, principal: Principal): ServerProject & ControlPlane {
  return actingAs(project, principal.name);
}
