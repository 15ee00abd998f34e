import { SlipwayError, NotFoundError } from '../../core/errors.js';
import type { PoolMemberEvent } from '../../router/edge-pool.js';
import type { Router } from '../../router/router.js';
import { edgeRouteKey, type FrontDoorRouteSpec, type RouteStatus } from '../protocol.js';
import {
  applyEdge,
  edgeMemberEventMessage,
  validateEdgeFailover,
  validateEdgeUpstreams,
  whenInRotation,
} from './edge-route.js';
import type { RouterMethods } from './route-protocol.js';
import {
  assertPortFree,
  routeStatus,
  type EdgeRecord,
  type RouteRecord,
  type RoutesState,
  type SavedFrontDoor,
} from './route-records.js';
import type { RouteStore } from './route-store.js';
import { findRouteToRekey, rekeyRoute } from './rekey-route.js';
import { restoreMaintenance } from './route-maintenance.js';

/** How long an upstream dropped from an edge's list may finish its requests before it is cut. */
export const DEFAULT_EDGE_DRAIN_MS = 30_000;

/** The host's front door as an edge uses it: the same as an app route's (src/agent/routes/route-table.ts). */
export interface EdgeFrontDoor {
  /** Attaches the route's router for these names (null: takes it off); saved before it resolves. */
  ensure(route: RouteRecord, spec: FrontDoorRouteSpec | null): Promise<void>;
  /** Attaches a saved door again (a router process started anew). */
  reattach(key: string, router: Router, door: SavedFrontDoor): Promise<void>;
  /** Takes route `key` off its front door at once, whatever it was saved with. */
  detach(key: string): Promise<void>;
}

/**
 * The edges of a host (keyed `edgeRouteKey(app)` in the store): routers balancing users over the app hosts'
 * routers, each also on the host's front door for its environment's names when it has domains.
 */
export class EdgeRoutes {
  constructor(
    private readonly store: RouteStore,
    private readonly frontDoor: EdgeFrontDoor,
  ) {}

  /** Listens on every saved edge again, with its members as they were and its names on the front door. */
  async recover(edges: RoutesState['edges']): Promise<void> {
    for (const { publicPort, bindAddress, frontDoor, maintenance, ...edge } of edges) {
      const key = edgeRouteKey(edge.app);
      const record = await this.store.openRoute(key, publicPort, bindAddress, edge);
      restoreMaintenance(record, maintenance);
      // Kept when it cannot be attached (or the edge cannot listen): the next ensureEdge tries again.
      record.frontDoor = frontDoor ?? null;
      if (!record.router) continue;
      await this.apply(record, edge, DEFAULT_EDGE_DRAIN_MS);
      if (frontDoor === undefined) continue;
      await this.frontDoor.reattach(key, record.router, frontDoor).catch((err: unknown) => {
        this.store.event('route.error', edge.app, null, null, `front door of ${key}: ${String(err)}`);
      });
    }
  }

  async ensureEdge(
    params: RouterMethods['ensureEdge']['params'],
  ): Promise<RouteStatus & { created: boolean }> {
    const { app, publicPort, bindAddress, healthCheck, upstreams, drainTimeoutMs, failover } = params;
    validateEdgeUpstreams(app, upstreams);
    if (failover) validateEdgeFailover(app, failover);
    const key = edgeRouteKey(app);
    await this.#rekey(key, publicPort, bindAddress);
    const existing = this.store.routes.get(key);
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
      assertPortFree(this.store.routes, key, publicPort, bindAddress);
      record = await this.store.openRoute(key, publicPort, bindAddress, edge);
      if (!record.router) {
        // Keep a restored edge's config (it is retried after the next restart); forget a new one.
        if (this.store.routes.get(key) === record) {
          if (existing) this.store.routes.set(key, existing);
          else this.store.routes.delete(key);
        }
        throw new SlipwayError(record.listenError ?? `the edge of ${app} cannot listen on ${publicPort}`);
      }
    }
    const previousEdge = record.edge;
    record.edge = edge;
    await this.store.commit().catch(async (err: unknown) => {
      if (created) {
        this.store.routes.delete(key);
        await record.router?.close();
      } else if (record) record.edge = previousEdge;
      throw err;
    });
    await this.apply(record, edge, drainTimeoutMs ?? DEFAULT_EDGE_DRAIN_MS);
    // The pool first, then the names: a request by name never reaches an edge without its members.
    await this.frontDoor.ensure(record, params.frontDoor ?? null).catch(async (err: unknown) => {
      if (created) await this.#forget(key, record, existing);
      throw err;
    });
    if (created) {
      this.store.event('edge.created', app, null, null, `edge of ${app} listens on port ${publicPort}`, {
        upstreams: upstreams.map((u) => u.id),
      });
    }
    return { ...routeStatus(record), created };
  }

  /** An environment that gained (or dropped) `domains`: its edge, saved under the other key, is re-keyed. */
  async #rekey(key: string, publicPort: number, bindAddress: string): Promise<void> {
    const found = findRouteToRekey(this.store.routes, key, publicPort, bindAddress);
    if (found !== null) await rekeyRoute(this.store, (k) => this.frontDoor.detach(k), found, key);
  }

  /**
   * A new edge whose names could not be attached: closed and forgotten, as if it had not been asked for (a
   * restored edge that could not listen keeps its saved config).
   */
  async #forget(key: string, record: RouteRecord, restored: RouteRecord | undefined): Promise<void> {
    if (this.store.routes.get(key) === record) {
      if (restored) this.store.routes.set(key, restored);
      else this.store.routes.delete(key);
    }
    if (record.frontDoor !== null) await this.frontDoor.detach(key);
    await record.router?.close();
    await this.store
      .commit()
      .catch((err: unknown) => this.store.log(`could not save the routes: ${String(err)}`));
  }

  async setEdgeMember({
    app,
    id,
    enabled,
    drainTimeoutMs,
  }: RouterMethods['setEdgeMember']['params']): Promise<RouterMethods['setEdgeMember']['result']> {
    const record = this.#edgeRoute(app);
    const router = record.router;
    const wasEnabled = router.edgePool.status().find((m) => m.id === id)?.enabled;
    // Applied first (a member taken out gets no new request from now on), then saved; put back as it was when
    // the disk refuses.
    router.edgePool.setEnabled(id, enabled);
    this.#syncEdgeRecord(record);
    await this.store.commit().catch((err: unknown) => {
      if (wasEnabled !== undefined) router.edgePool.setEnabled(id, wasEnabled);
      this.#syncEdgeRecord(record);
      throw err;
    });
    const verb = enabled ? 'enabled' : 'disabled';
    this.store.event(`edge.member-${verb}`, app, null, null, `edge of ${app}: upstream ${id} ${verb}`, {
      member: id,
    });
    const idle = enabled ? null : await router.edgePool.whenIdle(id, drainTimeoutMs);
    // Put back: "back in the edge" (and a deploy's "live") must mean users reach it, so wait for the edge's
    // checks to let it in (after a first deploy they failed while its router did not serve yet).
    const inRotation = enabled ? await whenInRotation(router, id, record.edge.healthCheck) : false;
    const now = router.edgePool.status().find((m) => m.id === id);
    const inFlight = idle?.inFlight ?? now?.inFlight ?? 0;
    return {
      enabled: now?.enabled ?? enabled,
      drained: idle ? idle.drained : inFlight === 0,
      inFlight,
      ...(enabled ? { inRotation } : {}),
    };
  }

  #edgeRoute(app: string): RouteRecord & { router: Router; edge: EdgeRecord } {
    const record = this.store.routes.get(edgeRouteKey(app));
    if (!record?.edge) {
      throw new NotFoundError(`no edge for app ${app} on this host`, { hint: 'ensure the edge first' });
    }
    if (!record.router) {
      throw new SlipwayError(`the edge of ${app} is not listening: ${record.listenError ?? 'unknown'}`);
    }
    return record as RouteRecord & { router: Router; edge: EdgeRecord };
  }

  async apply(record: RouteRecord, edge: EdgeRecord, drainTimeoutMs: number): Promise<void> {
    record.edge = edge;
    await applyEdge(record, edge, drainTimeoutMs, {
      onMemberEvent: (e) => this.#onEdgeMemberEvent(edge.app, e),
      wallClockMs: () => this.store.clock.nowMs(),
      log: this.store.log,
    });
    this.#syncEdgeRecord(record);
  }

  #onEdgeMemberEvent(app: string, e: PoolMemberEvent): void {
    const { kind, message, data } = edgeMemberEventMessage(app, e);
    this.store.event(kind, app, null, null, message, data);
  }

  /** The router holds the members' enabled state; the record (and so the saved state) copies it. */
  #syncEdgeRecord(record: RouteRecord): void {
    if (!record.edge || !record.router) return;
    record.edge.upstreams = record.router.edgePool
      .status()
      .map(({ id, address, port, enabled, disabledSinceMs }) => ({
        id,
        address,
        port,
        enabled,
        disabledSinceMs: disabledSinceMs ?? null,
      }));
  }
}
