import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { PoolMemberStatus, TargetMetrics } from '../agent/protocol.js';
import { NotFoundError, SlipwayError } from '../core/errors.js';
import type { FastRoute } from './fast-path/client-connection.js';
import { FastPathServer } from './fast-path/fast-path-server.js';
import { RawHeadersView } from './fast-path/raw-headers-view.js';
import type { RequestHead } from './fast-path/request-head.js';
import { EdgePool, createPoolTarget, type EdgePoolOptions, type PoolMemberAddress } from './edge-pool.js';
import { planTripwire, type Trip, type TripwireSpec } from '../analysis/tripwire.js';
import { CanaryTripwire } from './canary-tripwire.js';
import { startPoolExchange } from './pool-exchange.js';
import { startProxyExchange, writeShortAnswer } from './proxy-exchange.js';
import { LOOPBACK, RouterTarget, type TargetAddress } from './router-target.js';
import {
  NO_ROUTE,
  BUCKETS,
  deriveRouteWithActive,
  deriveRouteWithPool,
  deriveRouteWithSplit,
  formatBucketCookie,
  selectTarget,
  type CanarySplit,
  type RequestInfo,
  type RouteState,
  type Selection,
} from './split.js';

/** The router's one source of randomness: a new user's sticky bucket. */
const drawBucket = (): number => Math.floor(Math.random() * BUCKETS);
import { startUpgradeTunnel } from './upgrade-tunnel.js';
import type { ListenerProfile } from './fast-path/client-connection.js';
import { closeServer, listenOn } from './listen.js';
import type { RedirectRule } from './tls/https-redirect.js';
import {
  answerClientError,
  applyListenerRules,
  createTlsServer,
  plainProfile,
  redirectUpgrade,
} from './tls/tls-listener.js';
import type { RouterListenOptions } from './tls/tls-listener.js';

export type { PoolMemberAddress } from './edge-pool.js';
export type { RouterListenOptions, TlsListenOptions } from './tls/tls-listener.js';

const NO_TARGET_BODY = 'Service unavailable: no release is active on this port yet (slipway router)\n';
const NO_UPSTREAM_BODY = 'Service unavailable: no app host is in rotation (slipway edge router)\n';
const CLASSIC_ROUTE: FastRoute = { kind: 'classic' };
const NO_TARGET_UPGRADE =
  'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';
/** The router is a reverse proxy, not a tunnel: CONNECT is refused (Node would close the socket without a word). */
const CONNECT_REFUSED = 'HTTP/1.1 405 Method Not Allowed\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

/** A router's request handlers, for a front door that listens for it (`Router.detached`). */
export interface RouterHandlers {
  /** A fast-path request head (one Host, origin-form): where it goes. */
  routeFast(head: RequestHead): FastRoute;
  /** A request on Node's server (the classic path). */
  request(req: IncomingMessage, res: ServerResponse): void;
  /** An Upgrade (WebSocket) request on Node's server. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface PoolMemberIdleResult {
  /** True when the member had nothing in flight before the timeout. */
  drained: boolean;
  /** Requests still in flight at the timeout; unlike a drain, they are not cut. */
  inFlight: number;
  /** The member was enabled again before it drained. */
  cancelled?: boolean;
}

type IdleOutcome = 'idle' | 'timeout' | 'cancelled';

export interface DrainResult {
  /** True when every in-flight request finished before the timeout. */
  drained: boolean;
  /** Requests (and tunnels) still open at the timeout; they were cut when the target was removed. */
  abandoned: number;
  /** The target became active again before it drained; it was kept. */
  cancelled?: boolean;
}

/**
 * The per-host HTTP router of one app: owns the public port and sends each request to one target.
 * Deploys swap then drain: `setActive(new)` moves every new request at once, `drain(old)` waits for the old
 * target's in-flight requests and removes it.
 *
 * An edge router (`configurePool`) has no active target: it balances requests round-robin over upstream pool
 * members (the app hosts' routers), health-checked, and moves an idempotent request that cannot reach one, or
 * gets no answer from it in time, on to another (pool-exchange.ts).
 */
export class Router {
  readonly #server: Server;
  /** The public port's lean HTTP/1.1 path; null when SLIPWAY_ROUTER_FAST_PATH=0 (Node's server listens). */
  readonly #fastPath: FastPathServer | null;
  readonly #rawHeadersView = new RawHeadersView();
  readonly #targets = new Map<string, RouterTarget>();
  readonly #draining = new Map<string, { result: Promise<DrainResult>; cancel: () => void }>();
  #route: RouteState = NO_ROUTE;
  // Selection is synchronous, so one view serves every request: no object per request.
  readonly #requestView = new IncomingRequestView();
  #pool: EdgePool | null = null;
  /** Armed while a canary split with a tripwire is on. */
  #tripwire: { watch: CanaryTripwire; target: RouterTarget } | null = null;
  /** Waits for disabled pool members to go idle, cancelled when the member is enabled again. */
  readonly #quiescing = new Map<string, Set<() => void>>();
  readonly #tls: { server: NetServer; close: () => void; profile: ListenerProfile } | null = null;
  /** The plain port's redirect to HTTPS; null: serve every request there. */
  readonly #redirect: RedirectRule | null = null;
  #turn = 0;
  readonly #nextTurn = (): number => {
    const n = this.#turn;
    this.#turn = n >= 0x3fffffff ? 0 : n + 1;
    return n;
  };

  private constructor(opts: RouterListenOptions, listens = true) {
    const plain = plainProfile(opts, () => this.tlsPort);
    this.#redirect = plain.redirect;
    this.#server = createServer((req, res) => this.#onRequest(req, res));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#onUpgrade(req, socket, head),
    );
    this.#server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      socket.on('error', () => undefined);
      socket.end(CONNECT_REFUSED);
    });
    this.#fastPath =
      process.env.SLIPWAY_ROUTER_FAST_PATH === '0' || !listens
        ? null
        : new FastPathServer(
            {
              route: (head) => this.#routeFast(head),
              handOff: (socket) => this.#server.emit('connection', socket),
            },
            plain,
          );
    // TLS connections, once their handshake is done, take the same way as the plain port's.
    const fast = this.#fastPath;
    if (opts.tls !== undefined) {
      this.#server.on('clientError', answerClientError);
      this.#tls = createTlsServer(opts.tls, (socket, profile) =>
        fast === null ? this.#server.emit('connection', socket) : fast.accept(socket, profile),
      );
    }
    // Node's server starts tracking connections (closeAllConnections, the headers and request timeouts that
    // guard against slowloris) on 'listening'; it never listens itself when the fast path owns the port.
    if (this.#fastPath !== null) this.#server.emit('listening');
  }

  /** The port's listener: the fast path's TCP server, or Node's http server when it is off. */
  get #listener(): NetServer | Server {
    return this.#fastPath?.server ?? this.#server;
  }

  static async listen(opts: RouterListenOptions): Promise<Router> {
    const router = new Router(opts);
    const tls = router.#tls;
    try {
      await listenOn(router.#listener, opts);
      if (tls !== null && opts.tls)
        await listenOn(tls.server, { port: opts.tls.port, host: opts.tls.host ?? opts.host });
    } catch (err) {
      await router.close();
      throw err;
    }
    return router;
  }

  /**
   * A router with no port of its own: a front door (front-door.ts) listens and hands it the requests of its route
   * through `handlers`. Every other method works as on a listening router; `port` and `tlsPort` do not apply.
   */
  static detached(): Router {
    return new Router({ port: 0, host: '' }, false);
  }

  /** What a front door calls per request: the same handlers as this router's own listener uses. */
  readonly handlers: RouterHandlers = {
    routeFast: (head) => this.#routeFast(head),
    request: (req, res) => this.#onRequest(req, res),
    upgrade: (req, socket, head) => this.#onUpgrade(req, socket, head),
  };

  /** The plain HTTP port. */
  get port(): number {
    return (this.#listener.address() as AddressInfo).port;
  }

  /** The HTTPS port; null without `tls`. */
  get tlsPort(): number | null {
    const address = this.#tls?.server.address() as AddressInfo | null | undefined;
    return address?.port ?? null; // null too while it does not listen (yet, or any more)
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
    this.#setRoute(deriveRouteWithActive(this.#route, id));
    this.#draining.get(id)?.cancel(); // switched back during its drain (a rollback): keep it
    return previous;
  }

  /** Stops routing: new requests get 503 until the next `setActive`. Returns the previously active target. */
  clearActive(): string | null {
    const previous = this.#route.active;
    this.#setRoute(deriveRouteWithActive(this.#route, null));
    return previous;
  }

  /**
   * Waits until `id` has nothing in flight (or `timeoutMs` passes), then removes it. An unknown id (already
   * removed) is drained at once; a second call while draining joins the first. When the target becomes active
   * again meanwhile, the drain stops, the target stays, and the result says `cancelled`.
   */
  drain(id: string, timeoutMs: number): Promise<DrainResult> {
    if (this.#route.active === id) {
      const err = new SlipwayError(`cannot drain ${id}: it is the active target`, {
        hint: 'switch to another target first',
      });
      return Promise.reject(err);
    }
    // A canary being drained gets no new users: the split ends first.
    if (this.#route.split?.canary === id) this.#setRoute(deriveRouteWithSplit(this.#route, null));
    this.#forgetPoolMember(id); // nor does a pool member
    const running = this.#draining.get(id);
    if (running !== undefined) return running.result;
    const target = this.#targets.get(id);
    if (target === undefined) return Promise.resolve({ drained: true, abandoned: 0 });

    const { outcome, cancel } = this.#waitIdle(target, timeoutMs);
    const result = outcome.then(async (how): Promise<DrainResult> => {
      this.#draining.delete(id);
      if (how === 'cancelled') return { drained: false, abandoned: 0, cancelled: true };
      const abandoned = how === 'idle' ? 0 : target.counters.inFlight;
      if (this.#targets.get(id) !== target) return { drained: abandoned === 0, abandoned }; // removed meanwhile
      this.#targets.delete(id);
      await (abandoned === 0 ? target.close() : target.destroy());
      return { drained: abandoned === 0, abandoned };
    });
    this.#draining.set(id, { result, cancel });
    return result;
  }

  /** Resolves when `target` has nothing in flight, at the timeout, or when cancelled. */
  #waitIdle(target: RouterTarget, timeoutMs: number): { outcome: Promise<IdleOutcome>; cancel: () => void } {
    const wait = target.whenIdle();
    let timer: NodeJS.Timeout | undefined;
    let cancel = (): void => undefined;
    const outcome = new Promise<IdleOutcome>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      cancel = () => resolve('cancelled');
      void wait.idle.then(() => resolve('idle'));
    }).then((how) => {
      clearTimeout(timer);
      wait.cancel();
      return how;
    });
    return { outcome, cancel };
  }

  /** Removes a target at once, cutting whatever it still serves. */
  async removeTarget(id: string): Promise<void> {
    if (this.#route.active === id) {
      throw new SlipwayError(`cannot remove ${id}: it is the active target`, {
        hint: 'switch to another target first',
      });
    }
    this.#forgetPoolMember(id);
    const target = this.#targets.get(id);
    if (target === undefined) return;
    this.#targets.delete(id);
    await target.destroy();
  }

  metrics(): TargetMetrics[] {
    return [...this.#targets.values()].map((t) => t.counters.snapshot());
  }

  async close(): Promise<void> {
    // Without the fast path Node's server listens; with it, Node's server only holds handed-off connections.
    // (close() also stops its connection checks; not listening, it just calls back with an error.)
    const closedHttp = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const closedTls = this.#tls === null ? null : closeServer(this.#tls.server);
    this.#tls?.close();
    const closed = Promise.all([closedHttp, this.#fastPath?.close(), closedTls]);
    this.#server.closeAllConnections();
    const targets = [...this.#targets.values()];
    this.#targets.clear();
    this.#setRoute(NO_ROUTE);
    const pool = this.#pool;
    this.#pool = null;
    await Promise.all([closed, pool?.stop(), ...targets.map((t) => t.destroy())]);
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
    const route = this.#route;
    if (route.pool !== null && route.active === null) return CLASSIC_ROUTE;
    let selection: Selection = { target: route.active, newBucket: null };
    if (route.split !== null || route.pool !== null) {
      this.#rawHeadersView.raw = head.rawHeaders;
      selection = selectTarget(route, this.#rawHeadersView, drawBucket, this.#nextTurn);
      this.#rawHeadersView.raw = null;
    }
    const target = selection.target === null ? undefined : this.#targets.get(selection.target);
    if (target === undefined) return { kind: 'unavailable', body: NO_TARGET_BODY };
    const cookie =
      route.split && selection.newBucket !== null
        ? ['set-cookie', formatBucketCookie(route.split.cookie, selection.newBucket)]
        : null;
    return { kind: 'proxy', target, extraResponseHeaders: cookie };
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.#redirect !== null || this.#tls !== null) {
      if (applyListenerRules(req, res, this.#redirect, this.#tls?.profile ?? null)) return;
    }
    const selection = this.#select(req);
    const target = selection.target === null ? undefined : this.#targets.get(selection.target);
    const route = this.#route;
    if (target === undefined) {
      writeShortAnswer(
        res,
        503,
        route.pool !== null && route.active === null ? NO_UPSTREAM_BODY : NO_TARGET_BODY,
      );
      return;
    }
    const cookie =
      route.split && selection.newBucket !== null
        ? ['set-cookie', formatBucketCookie(route.split.cookie, selection.newBucket)]
        : null;
    if (route.pool !== null && route.active === null && this.#pool !== null) {
      startPoolExchange(target, req, res, this.#pool);
      return;
    }
    startProxyExchange(target, req, res, cookie);
  }

  /**
   * Makes this router an edge: while no target is active, each request goes to the next pool member in
   * rotation (enabled and not unhealthy; see `EdgePool`), and moves on to another member when its member does
   * not answer (see pool-exchange.ts). An unhealthy member leaves the rotation at once and comes back after
   * `healthyThreshold` passing checks. Calling again applies new failover settings; another health-check spec
   * restarts the checks. `wallClockMs` times what status shows (the agent's clock).
   */
  configurePool(opts: EdgePoolOptions & { wallClockMs?: () => number }): void {
    if (this.#pool !== null) {
      this.#pool.reconfigure(opts);
      return;
    }
    this.#pool = new EdgePool({
      ...opts,
      onRotationChange: () => this.#rebuildRotation(),
      route: () => (this.#route.active === null ? this.#route.pool : null),
      nextTurn: this.#nextTurn,
    });
    this.#rebuildRotation();
  }

  /**
   * Adds an upstream to the pool, enabled unless told otherwise. Idempotent: a member already there keeps its
   * enabled state; one being removed (drained) is kept after all.
   */
  addPoolMember(
    member: PoolMemberAddress,
    opts: { enabled?: boolean; disabledSinceMs?: number | null } = {},
  ): void {
    const pool = this.#pool;
    if (pool === null) {
      throw new SlipwayError('this router has no upstream pool', { hint: 'configure the pool first' });
    }
    const target = this.#targets.get(member.id);
    if (target !== undefined && (target.host !== member.host || target.address.port !== member.port)) {
      throw new SlipwayError(
        `pool member ${member.id} already points to ${target.host}:${target.address.port}`,
        { hint: 'remove (drain) the member before giving it another address' },
      );
    }
    if (pool.get(member.id) !== undefined) return;
    this.#draining.get(member.id)?.cancel(); // added back while being removed: keep it
    const upstream = target ?? createPoolTarget(member);
    this.#targets.set(member.id, upstream);
    pool.add(upstream, opts.enabled ?? true, opts.disabledSinceMs ?? null);
  }

  /**
   * A disabled member gets no new requests; what it has in flight goes on (`whenPoolMemberIdle` waits for it).
   * Enabling it puts it back in rotation (unless its health check fails). `drain(id)` removes a member.
   */
  setPoolMember(id: string, enabled: boolean): void {
    const pool = this.#requirePool(id);
    if (pool.setEnabled(id, enabled) && enabled) this.#cancelQuiescing(id);
  }

  /**
   * Waits until a disabled member has nothing in flight (or `timeoutMs` passes; what is still in flight then is
   * left alone). Ends with `cancelled` when the member is (or becomes) enabled or is removed.
   */
  async whenPoolMemberIdle(id: string, timeoutMs: number): Promise<PoolMemberIdleResult> {
    const member = this.#requirePool(id).member(id);
    const target = member.target;
    if (member.enabled) return { drained: false, inFlight: target.counters.inFlight, cancelled: true };
    const { outcome, cancel } = this.#waitIdle(target, timeoutMs);
    const waits = this.#quiescing.get(id) ?? new Set<() => void>();
    this.#quiescing.set(id, waits.add(cancel));
    let how: IdleOutcome;
    try {
      how = await outcome;
    } finally {
      waits.delete(cancel);
      if (waits.size === 0 && this.#quiescing.get(id) === waits) this.#quiescing.delete(id);
    }
    if (how === 'idle') return { drained: true, inFlight: 0 };
    const inFlight = target.counters.inFlight;
    return how === 'cancelled' ? { drained: false, inFlight, cancelled: true } : { drained: false, inFlight };
  }

  /** The pool's members in the order they were added, with their state; empty for a router without a pool. */
  poolMembers(): PoolMemberStatus[] {
    return this.#pool?.status() ?? [];
  }

  #requirePool(id: string): EdgePool {
    if (this.#pool === null) throw new NotFoundError(`no pool member ${id}: this router has no pool`);
    return this.#pool;
  }

  #cancelQuiescing(id: string): void {
    for (const cancel of this.#quiescing.get(id) ?? []) cancel();
  }

  #forgetPoolMember(id: string): void {
    if (this.#pool?.remove(id)) this.#cancelQuiescing(id);
  }

  /** The rotation is derived by the pool and swapped in as one new route state. */
  #rebuildRotation(): void {
    if (this.#pool !== null) this.#setRoute(deriveRouteWithPool(this.#route, this.#pool.rotation()));
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
    if (this.#tripwire?.watch.canaryId === split.canary) return;
    this.#disarmTripwire();
    const onTrip = (trip: Trip): void => {
      // Ending the split disarms the tripwire (#setRoute).
      if (this.#route.split?.canary === split.canary) this.#setRoute(deriveRouteWithSplit(this.#route, null));
      tripwire.onTrip(trip);
    };
    const watch = new CanaryTripwire(
      split.canary,
      planTripwire(stable.counters.snapshot(), tripwire.spec),
      onTrip,
    );
    canary.observer = watch;
    this.#tripwire = { watch, target: canary };
  }

  /** Ends a split: every request goes to the active target again. */
  clearSplit(): void {
    this.#setRoute(deriveRouteWithSplit(this.#route, null));
  }

  /** The armed tripwire's counts, for status; null when none is armed. */
  get tripwire(): CanaryTripwire | null {
    return this.#tripwire?.watch ?? null;
  }

  /** The one place the route changes: a tripwire watches only while its canary has a split. */
  #setRoute(next: RouteState): void {
    this.#route = next;
    const armed = this.#tripwire;
    if (armed !== null && next.split?.canary !== armed.watch.canaryId) this.#disarmTripwire();
  }

  #disarmTripwire(): void {
    const armed = this.#tripwire;
    if (armed === null) return;
    this.#tripwire = null;
    armed.watch.disarm();
    if (armed.target.observer === armed.watch) armed.target.observer = null;
  }

  get split(): CanarySplit | null {
    return this.#route.split;
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#redirect !== null && redirectUpgrade(req, socket, this.#redirect)) return;
    const selected = this.#select(req).target;
    const target = selected === null ? undefined : this.#targets.get(selected);
    if (target === undefined) socket.end(NO_TARGET_UPGRADE);
    else startUpgradeTunnel(target, req, socket, head);
  }
}

class IncomingRequestView implements RequestInfo {
  req: IncomingMessage | null = null;
  header(name: string): string | undefined {
    const value = this.req?.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }
}
