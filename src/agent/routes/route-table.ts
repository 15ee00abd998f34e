import type { Trip, TripwireSpec } from '../../analysis/tripwire.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, SlipwayError } from '../../core/errors.js';
import type { PoolMemberEvent } from '../../router/edge-pool.js';
import { Router } from '../../router/router.js';
import type { TargetAddress } from '../../router/router-target.js';
import type { EventJournal } from '../event-journal.js';
import {
  edgeRouteKey,
  type CanaryTripReport,
  type EdgeFailoverSpec,
  type EdgeUpstream,
  type HealthCheckSpec,
  type RouteStatus,
} from '../protocol.js';
import { readJsonIfExists, writeJsonDurable } from '../state-file.js';
import {
  applyEdge,
  edgeMemberEventMessage,
  validateEdgeFailover,
  validateEdgeUpstreams,
  whenInRotation,
} from './edge-route.js';
import type { RouterMethods } from './route-protocol.js';

/** What the router process keeps on disk: enough to serve every route again after a restart. */
export interface RoutesState {
  version: 1;
  routes: Array<{
    app: string;
    publicPort: number;
    bindAddress: string;
    active: TargetAddress | null;
    split: SplitState | null;
  }>;
  edges: Array<EdgeRecord & { publicPort: number; bindAddress: string }>;
  /** Canaries that tripped: a restarted router still refuses to route to them. */
  trips: Array<{ app: string; report: CanaryTripReport }>;
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
  draining: Set<string>;
  split: SplitState | null;
  /** Set for an edge route (keyed `edge:<app>`): the config it was last ensured with. */
  edge: EdgeRecord | null;
}

/** The calls the agent makes on its host's routes: the same whether they run in this process or another. */
export type RoutePort = {
  [M in keyof RouterMethods]: (params: RouterMethods[M]['params']) => Promise<RouterMethods[M]['result']>;
};

/** How long an upstream dropped from an edge's list may finish its requests before it is cut. */
export const DEFAULT_EDGE_DRAIN_MS = 30_000;

/**
 * The host's public ports: one router per app (and per edge), what each sends where, canary splits and their
 * tripwires. Every change that decides where users go is saved to disk (durably) before it is applied and
 * acknowledged: a change that cannot be saved is refused and the routers keep serving what they served.
 */
export class RouteTable implements RoutePort {
  readonly #routes = new Map<string, RouteRecord>();
  readonly #trips = new Map<string, { app: string; report: CanaryTripReport }>();
  /** Saves run one at a time, each with the state as it is when it starts. */
  #saving: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly statePath: string,
    private readonly journal: EventJournal,
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
  ) {}

  /** Opens the table saved at `statePath` (or an empty one) and listens on every saved route again. */
  static async open(options: {
    statePath: string;
    journal: EventJournal;
    clock?: Clock;
    log?: (line: string) => void;
  }): Promise<RouteTable> {
    const table = new RouteTable(
      options.statePath,
      options.journal,
      options.clock ?? systemClock,
      options.log ?? (() => {}),
    );
    await table.#recover();
    return table;
  }

  async #recover(): Promise<void> {
    const state = await readJsonIfExists<RoutesState>(this.statePath);
    if (!state) return;
    for (const trip of state.trips) this.#trips.set(trip.report.canaryTargetId, trip);
    for (const saved of state.routes) {
      const record = await this.#openRoute(saved.app, saved.publicPort, saved.bindAddress);
      const router = record.router;
      if (!router || !saved.active) continue;
      router.addTarget(saved.active);
      router.setActive(saved.active.id);
      record.active = saved.active;
      if (saved.split && !this.#trips.has(saved.split.canary.id)) {
        router.addTarget(saved.split.canary);
        this.#applySplit(record, saved.split);
      }
    }
    for (const { publicPort, bindAddress, ...edge } of state.edges) {
      const record = await this.#openRoute(edgeRouteKey(edge.app), publicPort, bindAddress, edge);
      if (record.router) await this.#applyEdge(record, edge, DEFAULT_EDGE_DRAIN_MS);
    }
  }

  /** Closes every public port; the saved state stays as it is for the next router process. */
  async close(): Promise<void> {
    await this.#saving;
    await Promise.all([...this.#routes.values()].map((r) => r.router?.close() ?? Promise.resolve()));
  }

  routes(): Promise<{ routes: RouteStatus[] }> {
    return Promise.resolve({ routes: [...this.#routes.values()].map((r) => this.#routeStatus(r)) });
  }

  ping(): Promise<{ pid: number; startedAtMs: number }> {
    return Promise.resolve({ pid: process.pid, startedAtMs: this.clock.nowMs() });
  }

  shutdown(): Promise<{ ok: true }> {
    return Promise.reject(new SlipwayError('an in-process route table is closed by its agent'));
  }

  async ensureRoute({
    app,
    publicPort,
    bindAddress,
  }: RouterMethods['ensureRoute']['params']): Promise<RouteStatus & { created: boolean }> {
    const existing = this.#routes.get(app);
    if (existing?.router && existing.publicPort === publicPort && existing.bindAddress === bindAddress) {
      return { ...this.#routeStatus(existing), created: false };
    }
    if (existing?.router) {
      throw new SlipwayError(
        `the router of ${app} already serves port ${existing.publicPort} on this host; moving it to ${publicPort} is not supported while it serves`,
        { hint: 'keep publicPort unchanged, or stop the app first' },
      );
    }
    this.#assertPortFree(app, publicPort, bindAddress);
    const record = await this.#openRoute(app, publicPort, bindAddress);
    if (!record.router) {
      this.#routes.delete(app);
      throw new SlipwayError(record.listenError ?? `router for ${app} cannot listen on ${publicPort}`);
    }
    await this.#commit().catch(async (err: unknown) => {
      this.#routes.delete(app);
      await record.router?.close();
      throw err;
    });
    return { ...this.#routeStatus(record), created: true };
  }

  async switchRoute({
    app,
    target,
    drainTimeoutMs,
  }: RouterMethods['switchRoute']['params']): Promise<RouterMethods['switchRoute']['result']> {
    const route = this.#route(app);
    const router = this.#listening(route);
    this.#refuseTripped(target.id);
    // Saved first: when the disk refuses, nothing changed and users stay where they were.
    await this.#commit((s) => {
      const saved = s.routes.find((r) => r.app === app);
      if (saved) Object.assign(saved, { active: target, split: null });
    });
    router.addTarget(target);
    const previous = router.setActive(target.id);
    route.active = target;
    route.split = null; // a switch ends any canary split: all traffic goes to the new active target
    route.draining.delete(target.id);
    if (previous && previous !== target.id) {
      route.draining.add(previous);
      void router.drain(previous, drainTimeoutMs).finally(() => route.draining.delete(previous));
    }
    this.#event(
      'traffic.switched',
      app,
      target.id,
      target.release,
      `traffic of ${app} switched to ${target.id}`,
      {
        previous,
      },
    );
    return { previous, switchedAtMs: this.clock.nowMs() };
  }

  async setWeight(params: RouterMethods['setWeight']['params']): Promise<{ weight: number }> {
    const { app, canary, weight, header, cookie } = params;
    const route = this.#route(app);
    const router = this.#listening(route);
    if (weight === 0 || canary === null) {
      await this.#commit((s) => {
        const saved = s.routes.find((r) => r.app === app);
        if (saved) saved.split = null;
      });
      router.clearSplit();
      route.split = null;
    } else {
      this.#refuseTripped(canary.id);
      const split: SplitState = { canary, weight, header, cookie, tripwire: params.tripwire ?? null };
      await this.#commit((s) => {
        const saved = s.routes.find((r) => r.app === app);
        if (saved) saved.split = split;
      });
      router.addTarget(canary);
      this.#applySplit(route, split);
    }
    const who = canary?.id ?? 'none';
    this.#event(
      'traffic.weighted',
      app,
      canary?.id ?? null,
      null,
      `canary ${who} of ${app} gets ${weight}% of users`,
      {
        weight,
      },
    );
    return { weight };
  }

  async unroute({
    app,
    targetId,
    drainTimeoutMs,
  }: RouterMethods['unroute']['params']): Promise<{ routed: boolean }> {
    const route = this.#routes.get(app);
    const router = route?.router;
    if (!route || !router || !router.targetIds().includes(targetId)) return { routed: false };
    const wasActive = router.active === targetId;
    await this.#commit((s) => {
      const saved = s.routes.find((r) => r.app === app);
      if (!saved) return;
      if (saved.active?.id === targetId) saved.active = null;
      if (saved.split?.canary.id === targetId) saved.split = null;
    });
    if (wasActive) {
      router.clearActive();
      route.active = null;
    }
    if (route.split?.canary.id === targetId) route.split = null;
    route.draining.add(targetId);
    try {
      await router.drain(targetId, drainTimeoutMs);
    } finally {
      route.draining.delete(targetId);
    }
    return { routed: true };
  }

  async forgetTrip({ targetId }: { targetId: string }): Promise<{ forgotten: boolean }> {
    if (!this.#trips.has(targetId)) return { forgotten: false };
    this.#trips.delete(targetId);
    await this.#commit();
    return { forgotten: true };
  }

  async ensureEdge(
    params: RouterMethods['ensureEdge']['params'],
  ): Promise<RouteStatus & { created: boolean }> {
    const { app, publicPort, bindAddress, healthCheck, upstreams, drainTimeoutMs, failover } = params;
    validateEdgeUpstreams(app, upstreams);
    if (failover) validateEdgeFailover(app, failover);
    const key = edgeRouteKey(app);
    const existing = this.#routes.get(key);
    if (existing?.router && (existing.publicPort !== publicPort || existing.bindAddress !== bindAddress)) {
      throw new SlipwayError(
        `the edge of ${app} already serves port ${existing.publicPort} on ${existing.bindAddress}; moving it is not supported while it serves`,
        { hint: 'keep the edge port unchanged' },
      );
    }
    const before = new Map(existing?.edge?.upstreams.map((u) => [u.id, u]));
    const edge: EdgeRecord = {
      app,
      healthCheck: { ...healthCheck },
      ...(failover ? { failover: { ...failover } } : {}),
      upstreams: upstreams.map(({ id, address, port }) => ({
        id,
        address,
        port,
        enabled: before.get(id)?.enabled ?? true,
        disabledSinceMs: before.get(id)?.disabledSinceMs ?? null,
      })),
    };
    let record = existing;
    const created = !record?.router;
    if (!record?.router) {
      this.#assertPortFree(key, publicPort, bindAddress);
      record = await this.#openRoute(key, publicPort, bindAddress, edge);
      if (!record.router) {
        // Keep a restored edge's config (it is retried after the next restart); forget a new one.
        if (this.#routes.get(key) === record) {
          if (existing) this.#routes.set(key, existing);
          else this.#routes.delete(key);
        }
        throw new SlipwayError(record.listenError ?? `the edge of ${app} cannot listen on ${publicPort}`);
      }
    }
    const previousEdge = record.edge;
    record.edge = edge;
    await this.#commit().catch(async (err: unknown) => {
      if (created) {
        this.#routes.delete(key);
        await record.router?.close();
      } else if (record) record.edge = previousEdge;
      throw err;
    });
    await this.#applyEdge(record, edge, drainTimeoutMs ?? DEFAULT_EDGE_DRAIN_MS);
    if (created) {
      this.#event('edge.created', app, null, null, `edge of ${app} listens on port ${publicPort}`, {
        upstreams: upstreams.map((u) => u.id),
      });
    }
    return { ...this.#routeStatus(record), created };
  }

  async setEdgeMember({
    app,
    id,
    enabled,
    drainTimeoutMs,
  }: RouterMethods['setEdgeMember']['params']): Promise<RouterMethods['setEdgeMember']['result']> {
    const record = this.#edgeRoute(app);
    const router = record.router;
    const wasEnabled = router.poolMembers().find((m) => m.id === id)?.enabled;
    // Applied first (a member taken out gets no new request from now on), then saved; put back as it was when
    // the disk refuses.
    router.setPoolMember(id, enabled);
    this.#syncEdgeRecord(record);
    await this.#commit().catch((err: unknown) => {
      if (wasEnabled !== undefined) router.setPoolMember(id, wasEnabled);
      this.#syncEdgeRecord(record);
      throw err;
    });
    const verb = enabled ? 'enabled' : 'disabled';
    this.#event(`edge.member-${verb}`, app, null, null, `edge of ${app}: upstream ${id} ${verb}`, {
      member: id,
    });
    const idle = enabled ? null : await router.whenPoolMemberIdle(id, drainTimeoutMs);
    // Put back: "back in the edge" (and a deploy's "live") must mean users reach it, so wait for the edge's
    // checks to let it in (after a first deploy they failed while its router did not serve yet).
    const inRotation = enabled ? await whenInRotation(router, id, record.edge.healthCheck) : false;
    const now = router.poolMembers().find((m) => m.id === id);
    const inFlight = idle?.inFlight ?? now?.inFlight ?? 0;
    return {
      enabled: now?.enabled ?? enabled,
      drained: idle ? idle.drained : inFlight === 0,
      inFlight,
      ...(enabled ? { inRotation } : {}),
    };
  }

  metrics({ app }: { app: string }): Promise<RouterMethods['metrics']['result']> {
    return Promise.resolve({
      targets: this.#route(app).router?.metrics() ?? [],
      trips: [...this.#trips.values()].filter((t) => t.app === app).map((t) => t.report),
    });
  }

  allMetrics(): Promise<RouterMethods['allMetrics']['result']> {
    return Promise.resolve({
      routes: [...this.#routes.values()].map((r) => ({ app: r.app, targets: r.router?.metrics() ?? [] })),
    });
  }

  async #openRoute(app: string, publicPort: number, bindAddress: string, edge: EdgeRecord | null = null) {
    const record: RouteRecord = {
      app,
      publicPort,
      bindAddress,
      router: null,
      listenError: null,
      active: null,
      draining: new Set(),
      split: null,
      edge,
    };
    this.#routes.set(app, record);
    try {
      record.router = await Router.listen({ port: publicPort, host: bindAddress });
    } catch (err) {
      record.listenError = err instanceof Error ? err.message : String(err);
      this.#event('route.error', app, null, null, `router for ${app} cannot listen: ${record.listenError}`);
    }
    return record;
  }

  /**
   * Saves the table as it is, changed by `change`, durably; rejects (with the disk's state) when it cannot.
   * Callers apply their change to the routers only once this resolved.
   */
  #commit(change: (state: RoutesState) => void = () => {}): Promise<void> {
    const run = this.#saving.then(async () => {
      const state = this.#toState();
      change(state);
      await writeJsonDurable(this.statePath, state);
    });
    this.#saving = run.catch(() => undefined);
    return run;
  }

  /** A save nobody waits for (a trip, an ejected member's state): logged when it fails. */
  #saveLater(): void {
    this.#commit().catch((err: unknown) => this.log(`could not save the routes: ${String(err)}`));
  }

  #toState(): RoutesState {
    const state: RoutesState = {
      version: 1,
      routes: [...this.#routes.values()]
        .filter((r) => r.edge === null)
        .map((r) => ({
          app: r.app,
          publicPort: r.publicPort,
          bindAddress: r.bindAddress,
          active: r.active,
          split: r.split,
        })),
      edges: [...this.#routes.values()].flatMap((r) =>
        r.edge === null ? [] : [{ ...r.edge, publicPort: r.publicPort, bindAddress: r.bindAddress }],
      ),
      trips: [...this.#trips.values()],
    };
    return JSON.parse(JSON.stringify(state)) as RoutesState;
  }

  #route(app: string): RouteRecord {
    const route = this.#routes.get(app);
    if (!route) throw new NotFoundError(`no route for app ${app} on this host`);
    return route;
  }

  #listening(route: RouteRecord): Router {
    if (!route.router) {
      throw new SlipwayError(`router for ${route.app} is not listening: ${route.listenError ?? 'unknown'}`);
    }
    return route.router;
  }

  #edgeRoute(app: string): RouteRecord & { router: Router; edge: EdgeRecord } {
    const record = this.#routes.get(edgeRouteKey(app));
    if (!record?.edge) {
      throw new NotFoundError(`no edge for app ${app} on this host`, { hint: 'ensure the edge first' });
    }
    if (!record.router) {
      throw new SlipwayError(`the edge of ${app} is not listening: ${record.listenError ?? 'unknown'}`);
    }
    return record as RouteRecord & { router: Router; edge: EdgeRecord };
  }

  #routeStatus(route: RouteRecord): RouteStatus {
    return {
      app: route.app,
      publicPort: route.publicPort,
      bindAddress: route.bindAddress,
      active: route.router?.active ?? null,
      draining: [...route.draining],
      split: route.split ? { canary: route.split.canary.id, weight: route.split.weight } : null,
      pool:
        route.edge === null
          ? null
          : (route.router?.poolMembers() ??
            route.edge.upstreams.map((u) => ({
              ...u,
              healthy: false,
              health: 'unknown' as const,
              inRotation: false,
              inFlight: 0,
            }))),
    };
  }

  /** An edge and an app router (or two routers) on one host cannot share a port on overlapping addresses. */
  #assertPortFree(key: string, publicPort: number, bindAddress: string): void {
    const wildcard = (a: string): boolean => a === '0.0.0.0' || a === '::';
    for (const [other, r] of this.#routes) {
      if (other === key || !r.router || r.publicPort !== publicPort) continue;
      if (r.bindAddress === bindAddress || wildcard(r.bindAddress) || wildcard(bindAddress)) {
        throw new ConflictError(`port ${publicPort} is already the public port of ${other} on this host`, {
          hint: 'an edge and an app router on the same host need different ports',
        });
      }
    }
  }

  async #applyEdge(record: RouteRecord, edge: EdgeRecord, drainTimeoutMs: number): Promise<void> {
    record.edge = edge;
    await applyEdge(record, edge, drainTimeoutMs, {
      onMemberEvent: (e) => this.#onEdgeMemberEvent(edge.app, e),
      wallClockMs: () => this.clock.nowMs(),
      log: this.log,
    });
    this.#syncEdgeRecord(record);
  }

  #onEdgeMemberEvent(app: string, e: PoolMemberEvent): void {
    const { kind, message, data } = edgeMemberEventMessage(app, e);
    this.#event(kind, app, null, null, message, data);
  }

  /** The router holds the members' enabled state; the record (and so the saved state) copies it. */
  #syncEdgeRecord(record: RouteRecord): void {
    if (!record.edge || !record.router) return;
    record.edge.upstreams = record.router
      .poolMembers()
      .map(({ id, address, port, enabled, disabledSinceMs }) => ({
        id,
        address,
        port,
        enabled,
        disabledSinceMs: disabledSinceMs ?? null,
      }));
  }

  /** Routes `split` (its canary already added to the router), with its tripwire armed when it has one. */
  #applySplit(route: RouteRecord, split: SplitState): void {
    const { tripwire, canary, ...rest } = split;
    route.router?.setSplit(
      { ...rest, canary: canary.id },
      tripwire ? { spec: tripwire, onTrip: (trip) => this.#onTrip(route, split, trip) } : null,
    );
    route.split = split;
  }

  /** The router's tripwire ended a canary's split: say so, and keep the evidence for `metrics`. */
  #onTrip(route: RouteRecord, split: SplitState, trip: Trip): void {
    if (route.split?.canary.id === split.canary.id) route.split = null;
    const report: CanaryTripReport = {
      canaryTargetId: split.canary.id,
      release: split.canary.release,
      atMs: this.clock.nowMs(),
      condition: trip.condition,
      detail: trip.detail,
      measurements: trip.measurements,
    };
    this.#trips.set(split.canary.id, { app: route.app, report });
    this.#saveLater();
    this.#event(
      'canary.tripped',
      route.app,
      split.canary.id,
      split.canary.release,
      `canary ${split.canary.id} of ${route.app} gets 0% of users: ${trip.detail}`,
      { weight: 0, tripped: true, condition: trip.condition, measurements: trip.measurements },
    );
  }

  /** A canary that tripped gets no traffic again until it is started anew. */
  #refuseTripped(targetId: string): void {
    const trip = this.#trips.get(targetId)?.report;
    if (trip === undefined) return;
    throw new SlipwayError(`canary ${targetId} tripped its tripwire and gets no traffic: ${trip.detail}`, {
      hint: 'the deployment fails and the canary is stopped; fix the release and deploy again',
    });
  }

  #event(
    kind: string,
    app: string,
    targetId: string | null,
    release: string | null,
    message: string,
    data?: Record<string, unknown>,
  ): void {
    this.journal.append({
      atMs: this.clock.nowMs(),
      kind,
      app,
      targetId,
      release,
      message,
      ...(data ? { data } : {}),
    });
    this.log(message);
  }
}
