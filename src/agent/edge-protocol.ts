/** An edge's part of the agent's protocol (`ensureEdge`, `setEdgeMember`, its route status): upstreams and failover. */
import type { TargetHealth } from './protocol.js';

/**
 * The key of an edge route on a host (`edge:<app>`), kept apart from the app's own route so a host can run both.
 * `app` is what `ensureEdge` names: the app, or its environment's route key (`<app>@<environment>`, `routeKeyOf`)
 * when the environment has domains, so that two environments of one app each have their edge (and its names).
 */
export function edgeRouteKey(app: string): string {
  return `edge:${app}`;
}

export interface EdgeUpstream {
  /** The app host's name. */
  id: string;
  /** The address the edge reaches that host's router at. */
  address: string;
  /** The app's public port on that host. */
  port: number;
}

/**
 * How an edge fails over between its upstreams (the app hosts' routers). Absent from an older control plane's
 * `ensureEdge`: the agent then uses the defaults (src/config/defaults.ts, `edge`).
 */
export interface EdgeFailoverSpec {
  /** A connection to a member that takes longer fails (and an idempotent request goes to another member). */
  connectTimeoutMs: number;
  /** The least time an attempt waits for an answer head before it may be retried elsewhere (the bound's floor). */
  answerTimeoutMinMs: number;
  /** The bound's cap, and the longest any attempt waits for an answer head: then it is a 502. */
  answerTimeoutMaxMs: number;
  /** Retries away from a member, as a fraction of its requests over the last 10 s (at least 3 are allowed). */
  retryBudget: number;
  /** Timeouts in a row (nothing else answered meanwhile) that eject a member; a refusal ejects it at once. */
  ejectAfter: number;
}

/** Why a member is out of rotation though enabled. */
export type EjectionCause = 'failed-checks' | 'timeouts' | 'refused' | 'unreachable';

export interface MemberEjection {
  cause: EjectionCause;
  /** When it left the rotation (the agent's clock). */
  sinceMs: number;
  /** The failure that tipped it, in words. */
  detail: string;
}

export interface PoolMemberStatus extends EdgeUpstream {
  /** False while disabled (`setEdgeMember`): it gets no new requests. */
  enabled: boolean;
  /** The edge's health check passes (`healthyThreshold` in a row); false until the first checks have run. */
  healthy: boolean;
  health: TargetHealth;
  /** Gets new requests: enabled and not unhealthy (a member not checked yet is in rotation). */
  inRotation: boolean;
  inFlight: number;
  /** Out of rotation for its health (checks, or the edge's own requests); null while not. Absent on older agents. */
  ejected?: MemberEjection | null;
  /** When it was disabled (`setEdgeMember`); null while enabled. Absent on older agents. */
  disabledSinceMs?: number | null;
  /** How long a request to it waits for an answer head before an idempotent one may go elsewhere, now. */
  answerTimeoutMs?: number;
}
