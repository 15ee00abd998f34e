import type { TripwireSpec } from '../../analysis/tripwire.js';
import { ConflictError } from '../../core/errors.js';
import type { Router } from '../../router/router.js';
import type { MaintenanceSpec } from '../../router/maintenance.js';
import { maintenanceStatusOf } from '../maintenance-method.js';
import { describeFrontDoorCertificates } from '../certificate-facts.js';
import type { TargetAddress } from '../../router/router-target.js';
import type {
  CanaryTripReport,
  EdgeFailoverSpec,
  EdgeUpstream,
  FrontDoorAcmeSpec,
  HealthCheckSpec,
  RouteStatus,
} from '../protocol.js';
import type { RouteGroup } from '../group-protocol.js';
import type { RouterMethods } from './route-protocol.js';

/** What the router process keeps on disk: enough to serve every route again after a restart. */
export interface RoutesState {
  version: 1;
  routes: Array<{
    app: string;
    publicPort: number;
    bindAddress: string;
    active: TargetAddress | null;
    /** Several instances: the active side's group, `active` first (absent: the target alone, and in older files). */
    group?: RouteGroup;
    split: SplitState | null;
    /** The route's front door (absent: none, and in every state written before front doors). */
    frontDoor?: SavedFrontDoor;
    /** Maintenance mode (absent: off, and in every state written before it). */
    maintenance?: MaintenanceSpec;
  }>;
  /** `frontDoor`: the edge's names on the host's front door (absent: none, and in states written before it). */
  edges: Array<
    EdgeRecord & {
      publicPort: number;
      bindAddress: string;
      frontDoor?: SavedFrontDoor;
      maintenance?: MaintenanceSpec;
    }
  >;
  /** Canaries that tripped: a restarted router still refuses to route to them. */
  trips: Array<{ app: string; report: CanaryTripReport }>;
}

/** A route's front door as saved: the certificates by the files the router process wrote under its home. */
export interface SavedFrontDoor {
  names: string[];
  pathPrefix: string;
  httpPort: number;
  httpsPort: number;
  bindAddress: string;
  certificates: Array<{ certFile: string; keyFile: string }>;
  /** The certificate is obtained and renewed by the router process from this ACME CA (then at most one file). */
  acme?: FrontDoorAcmeSpec;
  /** Plain-HTTP requests for covered names go to HTTPS (absent: true). */
  redirect?: boolean;
  hsts?: { maxAgeS: number; includeSubDomains: boolean; preload: boolean };
}

export interface SplitState {
  canary: TargetAddress;
  weight: number;
  header: string;
  cookie: string;
  tripwire: TripwireSpec | null;
}

export interface EdgeRecord {
  app: string;
  healthCheck: HealthCheckSpec;
  /** Absent when the control plane sent none (an older one): the router's defaults apply. */
  failover?: EdgeFailoverSpec;
  upstreams: Array<EdgeUpstream & { enabled: boolean; disabledSinceMs?: number | null }>;
}

export interface RouteRecord {
  app: string;
  publicPort: number;
  bindAddress: string;
  router: Router | null;
  /** Set when the router could not listen after a restart (e.g. the port was taken meanwhile). */
  listenError: string | null;
  active: TargetAddress | null;
  /** The active side's group of instances; absent or null: the active target alone. */
  group?: RouteGroup | null;
  draining: Set<string>;
  split: SplitState | null;
  /** Set for an edge route (keyed `edgeRouteKey(app)`): the config it was last ensured with. */
  edge: EdgeRecord | null;
  /** The front door this route's router is attached to, as saved; null when none. */
  frontDoor: SavedFrontDoor | null;
  /** Maintenance mode, as saved; null when off. */
  maintenance: MaintenanceSpec | null;
}

/** The calls the agent makes on its host's routes: the same whether they run in this process or another. */
export type RoutePort = {
  [M in keyof RouterMethods]: (params: RouterMethods[M]['params']) => Promise<RouterMethods[M]['result']>;
};

/** A route as the protocol reports it (an edge with its members' health, or as saved while it cannot listen). */
export function routeStatus(route: RouteRecord): RouteStatus {
  return {
    app: route.app,
    publicPort: route.publicPort,
    bindAddress: route.bindAddress,
    active: route.router?.active ?? null,
    draining: [...route.draining],
    ...(route.router && route.router.groupStatus().length > 0 ? { group: route.router.groupStatus() } : {}),
    split: route.split ? { canary: route.split.canary.id, weight: route.split.weight } : null,
    ...(route.maintenance === null ? {} : { maintenance: maintenanceStatusOf(route.maintenance) }),
    pool:
      route.edge === null
        ? null
        : (route.router?.edgePool.status() ??
          route.edge.upstreams.map((u) => ({
            ...u,
            healthy: false,
            health: 'unknown' as const,
            inRotation: false,
            inFlight: 0,
          }))),
    ...(route.frontDoor === null
      ? {}
      : {
          frontDoor: {
            names: route.frontDoor.names,
            pathPrefix: route.frontDoor.pathPrefix,
            httpPort: route.frontDoor.httpPort,
            httpsPort: route.frontDoor.httpsPort,
            certificates: describeFrontDoorCertificates(route.frontDoor),
            acme: Boolean(route.frontDoor.acme),
          },
        }),
  };
}

/** An edge and an app router (or two routers) on one host cannot share a port on overlapping addresses. */
export function assertPortFree(
  routes: ReadonlyMap<string, RouteRecord>,
  key: string,
  publicPort: number,
  bindAddress: string,
): void {
  const wildcard = (a: string): boolean => a === '0.0.0.0' || a === '::';
  for (const [other, r] of routes) {
    if (other === key || !r.router || r.publicPort !== publicPort) continue;
    if (r.bindAddress === bindAddress || wildcard(r.bindAddress) || wildcard(bindAddress)) {
      throw new ConflictError(`port ${publicPort} is already the public port of ${other} on this host`, {
        hint: 'an edge and an app router on the same host need different ports',
      });
    }
  }
}

/** What is saved for these routes and trips: a deep copy, so a change to it touches nothing live. */
export function deriveRoutesState(
  routes: Iterable<RouteRecord>,
  trips: Iterable<{ app: string; report: CanaryTripReport }>,
): RoutesState {
  const all = [...routes];
  const state: RoutesState = {
    version: 1,
    routes: all
      .filter((r) => r.edge === null)
      .map((r) => ({
        app: r.app,
        publicPort: r.publicPort,
        bindAddress: r.bindAddress,
        active: r.active,
        ...(r.group ? { group: r.group } : {}),
        split: r.split,
        ...(r.frontDoor === null ? {} : { frontDoor: r.frontDoor }),
        ...(r.maintenance === null ? {} : { maintenance: r.maintenance }),
      })),
    edges: all.flatMap((r) =>
      r.edge === null
        ? []
        : [
            {
              ...r.edge,
              publicPort: r.publicPort,
              bindAddress: r.bindAddress,
              ...(r.frontDoor === null ? {} : { frontDoor: r.frontDoor }),
              ...(r.maintenance === null ? {} : { maintenance: r.maintenance }),
            },
          ],
    ),
    trips: [...trips],
  };
  return structuredClone(state);
}
