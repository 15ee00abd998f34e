import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HealthCheckSpec, TargetMetrics } from '../agent/protocol.js';
import { SlipwayError } from '../core/errors.js';
import type { FastRoute } from './fast-path/client-connection.js';
import { RawHeadersView } from './fast-path/raw-headers-view.js';
import type { RequestHead } from './fast-path/request-head.js';
import type { Trip, TripwireSpec } from '../analysis/tripwire.js';
import type { CanaryTripwire } from './canary-tripwire.js';
import { TripwireSlot } from './tripwire-slot.js';
import { startPoolExchange } from './pool-exchange.js';
import { startProxyExchange, writeShortAnswer, writeRouterAnswer } from './proxy-exchange.js';
import type { MaintenanceSpec } from './maintenance.js';
import { MAINTENANCE_UPGRADE, MaintenanceGate } from './maintenance-gate.js';
import { LOOPBACK, RouterTarget, type TargetAddress } from './router-target.js';
import {
  NO_ROUTE,
  BUCKETS,
  deriveRouteWithActive,
  deriveRouteWithSplit,
  createTurnCounter,
  deriveBucketHeader,
  selectTarget,
  type CanarySplit,
  type RouteState,
  type Selection,
} from './split.js';

import { startUpgradeTunnel } from './upgrade-tunnel.js';
import { IncomingRequestView } from './incoming-request-view.js';
import { PoolMembership } from './pool-membership.js';
import { drainTarget, type DrainResult, type Draining } from './wait-idle.js';
import { RouterListener, type RequestHandlers } from './router-listener.js';
import { TargetGroup, type GroupMemberStatus } from './target-group.js';
import type { RouterListenOptions } from './tls/tls-listener.js';

export type { PoolMemberAddress } from './edge-pool.js';
export type { PoolMemberIdleResult } from './pool-membership.js';
export type { RouterListenOptions, TlsListenOptions } from './tls/tls-listener.js';

/** The router's one source of randomness: a new user's sticky bucket. */
const drawBucket = (): number => Math.floor(Math.random() * BUCKETS);

const NO_TARGET_BODY = 'Service unavailable: no release is active on this port yet (slipway router)\n';
const NO_UPSTREAM_BODY = 'Service unavailable: no app host is in rotation (slipway edge router)\n';
const CLASSIC_ROUTE: FastRoute = { kind: 'classic' };
const NO_TARGET_UPGRADE =
  'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

export type { DrainResult } from './wait-idle.js';

/**
 * The per-host HTTP router of one app: owns the public port and sends each request to one target.
 * Deploys swap then drain: `setActive(new)` moves every new request at once, `drain(old)` waits for the old
 * target's in-flight requests and removes it.
 *
 * An edge router (`edgePool.configure`) has no active target: it balances requests round-robin over upstream pool
 * members (the app hosts' routers), health-checked, and moves an idempotent request that cannot reach one, or
 * gets no answer from it in time, on to another (pool-exchange.ts).
 */
export class Router {
  /** Its own port (and TLS port); null for a router a front door listens for. */
  #listener: RouterListener | null = null;
  readonly #rawHeadersView = new RawHeadersView();
  readonly #targets = new Map<string, RouterTarget>();
  readonly #draining: Draining = new Map();
  #route: RouteState = NO_ROUTE;
  // Selection is synchronous, so one view serves every request: no object per request.
  readonly #requestView = new IncomingRequestView();
  /** Maintenance mode (maintenance.ts): every request but the health path and testers gets its answer. */
  readonly #maintenance = new MaintenanceGate();
  /** Armed while a canary split with a tripwire is on. */
  readonly #tripwire = new TripwireSlot();
  readonly #nextTurn = createTurnCounter();
  /** An edge's upstream pool (`edgePool.configure`): its members are targets of this router. */
  readonly #members = new PoolMembership({
    targets: this.#targets,
    route: () => this.#route,
    setRoute: (next) => this.#setRoute(next),
    nextTurn: this.#nextTurn,
    cancelDrain: (id) => this.#draining.get(id)?.cancel(),
  });
  /** The active side's instances when there are several (`setActiveGroup`); empty otherwise. */
  readonly #group = new TargetGroup(this.#targets, this.#nextTurn);

  private constructor() {}

  /** A router listening on its own port (and, with `tls`, its HTTPS port). */
  static async listen(opts: RouterListenOptions): Promise<Router> {
    const router = new Router();
    router.#listener = await RouterListener.listen(opts, router.handlers);
    return router;
  }

  /**
   * A router with no port of its own: a front door (front-door.ts) listens and hands it the requests of its route
   * through `handlers`. Every other method works as on a listening router; `port` and `tlsPort` do not apply.
   */
  static detached(): Router {
    return new Router();
  }

  /** What a front door calls per request: the same handlers as this router's own listener uses. */
  readonly handlers: RequestHandlers = {
    routeFast: (head) => this.#routeFast(head),
    request: (req, res) => this.#onRequest(req, res),
    upgrade: (req, socket, head) => this.#onUpgrade(req, socket, head),
  };

  /** The plain HTTP port. */
  get port(): number {
    if (this.#listener === null)
      throw new SlipwayError('a detached router has no port: its front door listens');
    return this.#listener.port;
  }

  /** The HTTPS port; null without `tls` (and for a detached router). */
  get tlsPort(): number | null {
    return this.#listener?.tlsPort ?? null;
  }

  get active(): string | null {
    return this.#route.active;
  }

  targetIds(): string[] {
    return [...this.#targets.keys()];
  }

  drainingIds(): string[] {
    return [...this.#draining.keys()];
  }

  addTarget(t: TargetAddress): void {
    const existing = this.#targets.get(t.id);
    if (existing !== undefined) {
      if (
        existing.address.port === t.port &&
        existing.address.release === t.release &&
        existing.host === (t.host ?? LOOPBACK)
      )
        return;
      throw new SlipwayError(`target ${t.id} is already routed to port ${existing.address.port}`, {
        hint: 'give the new target its own id',
      });
    }
    this.#targets.set(t.id, new RouterTarget({ ...t }));
  }

  /** Moves every new request to `id` at once; returns the previously active target. */
  setActive(id: string): string | null {
    if (!this.#targets.has(id)) {
      throw new SlipwayError(`cannot route to unknown target ${id}`, {
        hint: 'add the target before switching',
      });
    }
    const previous = this.#route.active;
    this.#group.clear();
    this.#setRoute(deriveRouteWithActive(this.#route, id));
    this.#draining.get(id)?.cancel(); // switched back during its drain (a rollback): keep it
    return previous;
  }

  /**
   * Several instances: every new request goes to the member of `ids` with the fewest in flight (target-group.ts),
   * `ids[0]` being the route's active target. Returns every target of the active side before (to drain).
   */
  setActiveGroup(ids: readonly string[], healthCheck: HealthCheckSpec): string[] {
    const missing = ids.find((id) => !this.#targets.has(id));
    if (missing !== undefined) this.setActive(missing); // throws: nothing changes
    const previous = this.activeMembers();
    this.setActive(ids[0] ?? '');
    this.#group.set(ids, healthCheck);
    for (const id of ids) this.#draining.get(id)?.cancel();
    return previous;
  }

  /** The targets of the active side: its group's members, or the active target alone. */
  activeMembers(): string[] {
    const active = this.#route.active;
    return this.#group.members.length > 0 ? [...this.#group.members] : active === null ? [] : [active];
  }

  /** Each instance of the active group, for status; empty without a group. */
  groupStatus(): GroupMemberStatus[] {
    return this.#group.status();
  }

  /** Stops routing: new requests get 503 until the next `setActive`. Returns the previously active target. */
  clearActive(): string | null {
    const previous = this.#route.active;
    this.#group.clear();
    this.#setRoute(deriveRouteWithActive(this.#route, null));
    return previous;
  }

  /** Turns maintenance mode on (or changes it), or off with null; targets and splits stay as they are. */
  setMaintenance(spec: MaintenanceSpec | null): void {
    this.#maintenance.set(spec);
  }

  get maintenance(): MaintenanceSpec | null {
    return this.#maintenance.spec;
  }

  /**
   * Waits until `id` has nothing in flight (or `timeoutMs` passes), then removes it. An unknown id (already
   * removed) is drained at once; a second call while draining joins the first. When the target becomes active
   * again meanwhile, the drain stops, the target stays, and the result says `cancelled`.
   */
  drain(id: string, timeoutMs: number): Promise<DrainResult> {
    if (this.#route.active === id || this.#group.has(id)) {
      const err = new SlipwayError(`cannot drain ${id}: it is the active target`, {
        hint: 'switch to another target first',
      });
      return Promise.reject(err);
    }
    // A canary being drained gets no new users: the split ends first.
    if (this.#route.split?.canary === id) this.#setRoute(deriveRouteWithSplit(this.#route, null));
    this.#members.forget(id); // nor does a pool member
    return drainTarget(this.#targets, this.#draining, id, timeoutMs);
  }

  /** Removes a target at once, cutting whatever it still serves. */
  async removeTarget(id: string): Promise<void> {
    if (this.#route.active === id || this.#group.has(id)) {
      throw new SlipwayError(`cannot remove ${id}: it is the active target`, {
        hint: 'switch to another target first',
      });
    }
    this.#members.forget(id);
    const target = this.#targets.get(id);
    if (target === undefined) return;
    this.#targets.delete(id);
    await target.destroy();
  }

  metrics(): TargetMetrics[] {
    return [...this.#targets.values()].map((t) => t.counters.snapshot());
  }

  async close(): Promise<void> {
    const closed = this.#listener?.close();
    const targets = [...this.#targets.values()];
    this.#targets.clear();
    this.#setRoute(NO_ROUTE);
    this.#group.clear();
    await Promise.all([closed, this.#members.stop(), ...targets.map((t) => t.destroy())]);
  }

  #select(req: IncomingMessage): Selection {
    const route = this.#route;
    // The usual case: one active target, no split, no pool.
    if (route.split === null && route.pool === null) return { target: route.active, newBucket: null };
    this.#requestView.req = req;
    const selection = selectTarget(route, this.#requestView, drawBucket, this.#nextTurn);
    this.#requestView.req = null;
    return selection;
  }

  /** The fast path's request: same selection as `#onRequest`; an edge's pool routing stays classic (failover). */
  #routeFast(head: RequestHead): FastRoute {
    const answer = this.#maintenance.fast(head);
    if (answer !== null) return answer;
    const route = this.#route;
    if (route.pool !== null && route.active === null) return CLASSIC_ROUTE;
    let selection: Selection = { target: route.active, newBucket: null };
    if (route.split !== null || route.pool !== null) {
      this.#rawHeadersView.raw = head.rawHeaders;
      selection = selectTarget(route, this.#rawHeadersView, drawBucket, this.#nextTurn);
      this.#rawHeadersView.raw = null;
    }
    // A group's requests take the classic path: its pool exchange moves one that cannot be sent to another member.
    if (selection.target === route.active && this.#group.members.length > 0) return CLASSIC_ROUTE;
    const target = selection.target === null ? undefined : this.#targets.get(selection.target);
    if (target === undefined) return { kind: 'unavailable', body: NO_TARGET_BODY };
    const cookie = deriveBucketHeader(route, selection);
    return { kind: 'proxy', target, extraResponseHeaders: cookie };
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const answer = this.#maintenance.classic(req);
    if (answer !== null) return writeRouterAnswer(res, answer);
    const selection = this.#select(req);
    const route = this.#route;
    const grouped = selection.target === route.active && this.#group.members.length > 0;
    const target = this.#targetOf(selection.target);
    if (target === undefined) {
      writeShortAnswer(
        res,
        503,
        route.pool !== null && route.active === null ? NO_UPSTREAM_BODY : NO_TARGET_BODY,
      );
      return;
    }
    const cookie = deriveBucketHeader(route, selection);
    const pool = this.#members.pool;
    if (route.pool !== null && route.active === null && pool !== null) {
      startPoolExchange(target, req, res, pool);
      return;
    }
    if (grouped && cookie === null) startPoolExchange(target, req, res, this.#group);
    else startProxyExchange(target, req, res, cookie);
  }

  /**
   * An edge's upstream pool (pool-membership.ts): `configure` makes this router an edge, `add`, `setEnabled`,
   * `whenIdle` and `status` keep its members; `drain(id)` removes one.
   */
  get edgePool(): PoolMembership {
    return this.#members;
  }

  /**
   * Canary: `weight` percent of users (sticky by cookie) go to `canary`; the rest stay on the active target.
   * With `tripwire`, the router watches the canary's responses against the active target's record (see
   * analysis/tripwire.ts): when the evidence that the canary is bad suffices, the split ends at once and
   * `onTrip` is called. A tripwire stays armed across weight changes of the same canary.
   */
  setSplit(
    split: CanarySplit,
    tripwire: { spec: TripwireSpec; onTrip: (trip: Trip) => void } | null = null,
  ): void {
    const canary = this.#targets.get(split.canary);
    if (canary === undefined) {
      throw new SlipwayError(`cannot split to unknown target ${split.canary}`, {
        hint: 'add the target first',
      });
    }
    this.#setRoute(deriveRouteWithSplit(this.#route, split));
    const stable = this.#route.active === null ? undefined : this.#targets.get(this.#route.active);
    if (this.#route.split === null || tripwire === null || stable === undefined) return;
    this.#tripwire.arm(canary, stable, tripwire.spec, (trip) => {
      // Ending the split disarms the tripwire (#setRoute).
      if (this.#route.split?.canary === split.canary) this.#setRoute(deriveRouteWithSplit(this.#route, null));
      tripwire.onTrip(trip);
    });
  }

  /** Ends a split: every request goes to the active target again. */
  clearSplit(): void {
    this.#setRoute(deriveRouteWithSplit(this.#route, null));
  }

  /** The armed tripwire's counts, for status; null when none is armed. */
  get tripwire(): CanaryTripwire | null {
    return this.#tripwire.watch;
  }

  /** The one place the route changes: a tripwire watches only while its canary has a split. */
  #setRoute(next: RouteState): void {
    this.#route = next;
    this.#tripwire.keepOnly(next.split?.canary);
  }

  get split(): CanarySplit | null {
    return this.#route.split;
  }

  /** The target a selection names; for the active target of a group, the group's pick. */
  #targetOf(id: string | null): RouterTarget | undefined {
    if (id === null) return undefined;
    if (id === this.#route.active && this.#group.members.length > 0) return this.#group.pick();
    return this.#targets.get(id);
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#maintenance.classic(req) !== null) return void socket.end(MAINTENANCE_UPGRADE);
    const target = this.#targetOf(this.#select(req).target);
    if (target === undefined) socket.end(NO_TARGET_UPGRADE);
    else startUpgradeTunnel(target, req, socket, head);
  }
}
