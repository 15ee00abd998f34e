import type { TripwireSpec } from '../../analysis/tripwire.js';
import type { RevocationReason } from '../../certificates/acme-issuer.js';
import type { TargetAddress } from '../../router/router-target.js';
import type { SetMaintenanceMethod } from '../maintenance-method.js';
import type { RouteGroup, SwitchGroupResult } from '../group-protocol.js';
import type {
  AgentMethods,
  CanaryTripReport,
  FrontDoorRouteSpec,
  RouteStatus,
  TargetMetrics,
} from '../protocol.js';

/**
 * The router process's protocol (JSON lines on `router.sock`, spoken only by the agent on the same host). The
 * router process owns the public ports; the agent owns the targets and tells it where each one listens, so every
 * method names targets by address, never by an id the router would have to look up.
 */
export interface RouterMethods {
  ping: { params: Record<string, never>; result: { pid: number; startedAtMs: number } };
  routes: { params: Record<string, never>; result: { routes: RouteStatus[] } };
  ensureRoute: {
    params: { app: string; publicPort: number; bindAddress: string; frontDoor?: FrontDoorRouteSpec | null };
    result: RouteStatus & { created: boolean };
  };
  /** All traffic of `app` to `target`; the previous active target drains. Acknowledged once saved on disk. */
  switchRoute: {
    params: { app: string; target: TargetAddress; drainTimeoutMs: number; group?: RouteGroup };
    result: { previous: string | null; switchedAtMs: number } & Omit<SwitchGroupResult, 'group'>;
  };
  /** `weight` percent of users to `canary` (null with weight 0: the split ends). Saved before acknowledged. */
  setWeight: {
    params: {
      app: string;
      canary: TargetAddress | null;
      weight: number;
      header: string;
      cookie: string;
      tripwire?: TripwireSpec | null;
    };
    result: { weight: number };
  };
  /** Takes a target out of its app's route (no longer active, no split), drained up to `drainTimeoutMs`. */
  unroute: {
    params: { app: string; targetId: string; drainTimeoutMs: number };
    result: { routed: boolean };
  };
  /** A canary started anew may get traffic again after its tripwire ended its split. */
  forgetTrip: { params: { targetId: string }; result: { forgotten: boolean } };
  ensureEdge: AgentMethods['ensureEdge'];
  setEdgeMember: AgentMethods['setEdgeMember'];
  /**
   * A new ACME certificate for the route `key` on this host's front door now (`slipway certificates renew`), even
   * while the stored one is good; with `revoke`, the stored one is revoked at the CA first (for `reason`). The new
   * one is served for new handshakes (open connections go on with the old one). `key` is the route's key
   * (`routeKeyOf`), `edgeRouteKey(…)` of it on an edge's host. `requestedBy`: who asked, journaled with the events.
   * Throws what the CA said. Not sent again after a cut connection: a revocation sent twice would revoke the
   * replacement.
   */
  renewCertificate: {
    params: { key: string; revoke: boolean; reason?: RevocationReason; requestedBy?: string };
    result: {
      key: string;
      names: string[];
      /** The certificate replaced (null when the route had none yet), and the one served now. */
      previous: CertificateSummary | null;
      current: CertificateSummary;
      /** The previous one was revoked at the CA. */
      revoked: boolean;
    };
  };
  /**
   * Sets (or, with `keyAuthorization` null, removes) the HTTP-01 answer for `token` in the host's shared answers:
   * every front door of the host answers `/.well-known/acme-challenge/<token>` with it, under any name (the
   * control plane obtains a certificate shared by a fleet without an edge: `acme.shared`). Idempotent.
   */
  acmeChallenge: {
    params: { token: string; keyAuthorization: string | null };
    result: { ok: true };
  };
  setMaintenance: SetMaintenanceMethod;
  metrics: AgentMethods['metrics'];
  /** Every route's per-target counters (the agent's Prometheus exposition and its monitor sampler). */
  allMetrics: {
    params: Record<string, never>;
    result: { routes: Array<{ app: string; targets: TargetMetrics[] }> };
  };
  /** Closes the public ports and exits; the saved routes stay for the next router process. */
  shutdown: { params: Record<string, never>; result: { ok: true } };
}

/** A certificate as `renewCertificate` reports it. */
export interface CertificateSummary {
  serial: string;
  notAfter: string;
  issuer: string;
}

export type { CanaryTripReport };
