import type { Clock } from '../../core/clock.js';
import { SlipwayError } from '../../core/errors.js';
import type { EventJournal } from '../event-journal.js';
import type { FrontDoorRouteSpec, RouteStatus } from '../protocol.js';
import { EdgeRoutes } from './edge-routes.js';
import type { RouterMethods } from './route-protocol.js';
import {
  assertPortFree,
  routeStatus,
  type RoutePort,
  type RouteRecord,
  type SplitState,
} from './route-records.js';
import { RouteStore } from './route-store.js';
import { applySplit, refuseTripped } from './route-canary.js';
import { findRouteToRekey, rekeyRoute } from './rekey-route.js';
import { FrontDoors } from './front-doors.js';
import { restoreMaintenance, setRouteMaintenance } from './route-maintenance.js';
import { activeIdsOf, applyActiveSide, deriveGroupWithout } from './route-group.js';
import { dirname, join } from 'node:path';

export type { EdgeRecord, RoutePort, RouteRecord, RoutesState, SplitState } from './route-records.js';
export { DEFAULT_EDGE_DRAIN_MS } from './edge-routes.js';
type RenewalResult = RouterMethods['renewCertificate']['result'];

/**
 * The host's public ports: one router per app (and per edge), what each sends where, canary splits and their
 * tripwires. Every change that decides where users go is saved to disk (durably) before it is applied and
 * acknowledged: a change that cannot be saved is refused and the routers keep serving what they served.
 */
export class RouteTable implements RoutePort {
  readonly #store: RouteStore;
  readonly #edges: EdgeRoutes;
  readonly #startedAtMs: number;
  readonly #frontDoors: FrontDoors;

  private constructor(store: RouteStore, certDir: string) {
    this.#store = store;
    this.#frontDoors = new FrontDoors({
      certDir,
      acmeDir: join(dirname(certDir), 'acme'),
      log: store.log,
      event: (kind, key, message, data) => store.event(kind, key, null, null, message, data),
      renewed: async (key, door) => {
        const route = store.routes.get(key);
        if (route === undefined || route.frontDoor === null) return;
        route.frontDoor = door;
        await store.commit();
      },
    });
    this.#edges = new EdgeRoutes(store, {
      ensure: (route, spec) => this.#ensureFrontDoor(route, spec),
      reattach: (key, router, door) => this.#frontDoors.attach(key, router, door),
      detach: (key) => this.#frontDoors.detach(key, 0),
    });
    this.#startedAtMs = store.clock.nowMs();
  }

  /** Opens the table saved at `statePath` (or an empty one) and listens on every saved route again. */
  static async open(options: {
    statePath: string;
    journal: EventJournal;
    clock?: Clock;
    log?: (line: string) => void;
  }): Promise<RouteTable> {
    const table = new RouteTable(
      new RouteStore(options.statePath, options.journal, options.clock, options.log),
      join(dirname(options.statePath), 'front-door-certificates'),
    );
    await table.#recover();
    return table;
  }

  async #recover(): Promise<void> {
    const state = await this.#store.readSaved();
    if (!state) return;
    for (const trip of state.trips) this.#store.trips.set(trip.report.canaryTargetId, trip);
    for (const saved of state.routes) {
      const record = await this.#store.openRoute(saved.app, saved.publicPort, saved.bindAddress);
      restoreMaintenance(record, saved.maintenance);
      const router = record.router;
      if (router && saved.frontDoor) {
        try {
          await this.#frontDoors.attach(saved.app, router, saved.frontDoor);
          record.frontDoor = saved.frontDoor;
        } catch (err) {
          record.frontDoor = saved.frontDoor; // kept: the next ensureRoute tries again
          this.#store.event(
            'route.error',
            saved.app,
            null,
            null,
            `front door of ${saved.app}: ${String(err)}`,
          );
        }
      }
      if (!router || !saved.active) continue;
      applyActiveSide(router, saved.active, saved.group);
      record.active = saved.active;
      record.group = saved.group ?? null;
      if (saved.split && !this.#store.trips.has(saved.split.canary.id)) {
        router.addTarget(saved.split.canary);
        applySplit(this.#store, record, saved.split);
      }
    }
    await this.#edges.recover(state.edges);
  }

  /** Closes every public port; the saved state stays as it is for the next router process. */
  async close(): Promise<void> {
    await this.#store.settled();
    await this.#frontDoors.close();
    await Promise.all([...this.#store.routes.values()].map((r) => r.router?.close() ?? Promise.resolve()));
  }

  routes(): Promise<{ routes: RouteStatus[] }> {
    return Promise.resolve({ routes: [...this.#store.routes.values()].map((r) => routeStatus(r)) });
  }

  ping(): Promise<{ pid: number; startedAtMs: number }> {
    return Promise.resolve({ pid: process.pid, startedAtMs: this.#startedAtMs });
  }

  shutdown(): Promise<{ ok: true }> {
    return Promise.reject(new SlipwayError('an in-process route table is closed by its agent'));
  }

  async ensureRoute({
    app,
    publicPort,
    bindAddress,
    frontDoor,
  }: RouterMethods['ensureRoute']['params']): Promise<RouteStatus & { created: boolean }> {
    await this.#rekey(app, publicPort, bindAddress);
    const existing = this.#store.routes.get(app);
    if (existing?.router && existing.publicPort === publicPort && existing.bindAddress === bindAddress) {
      await this.#ensureFrontDoor(existing, frontDoor ?? null);
      return { ...routeStatus(existing), created: false };
    }
    if (existing?.router) {
      throw new SlipwayError(
        `the router of ${app} already serves port ${existing.publicPort} on this host; moving it to ${publicPort} is not supported while it serves`,
        { hint: 'keep publicPort unchanged, or stop the app first' },
      );
    }
    assertPortFree(this.#store.routes, app, publicPort, bindAddress);
    const record = await this.#store.openRoute(app, publicPort, bindAddress);
    if (!record.router) {
      this.#store.routes.delete(app);
      throw new SlipwayError(record.listenError ?? `router for ${app} cannot listen on ${publicPort}`);
    }
    try {
      await this.#ensureFrontDoor(record, frontDoor ?? null);
      await this.#store.commit();
    } catch (err) {
      this.#store.routes.delete(app);
      await this.#frontDoors.detach(app, 0);
      await record.router?.close();
      throw err;
    }
    return { ...routeStatus(record), created: true };
  }

  /** An environment that gained (or dropped) `domains`: its route, saved under the other key, is re-keyed. */
  async #rekey(key: string, publicPort: number, bindAddress: string): Promise<void> {
    const found = findRouteToRekey(this.#store.routes, key, publicPort, bindAddress);
    if (found !== null) await rekeyRoute(this.#store, (k) => this.#frontDoors.detach(k), found, key);
  }

  /**
   * Attaches the route's router to its front door with these names and certificates, or takes it off when the
   * environment has no `domains` any more; saved (durably) before acknowledged. A name another route holds, a
   * certificate that does not load or a door that cannot listen is refused and leaves the route as it was.
   */
  async #ensureFrontDoor(route: RouteRecord, spec: FrontDoorRouteSpec | null): Promise<void> {
    const router = this.#store.listening(route);
    if (spec === null) {
      if (route.frontDoor === null) return;
      route.frontDoor = null;
      await this.#store.commit();
      await this.#frontDoors.detach(route.app);
      this.#store.event('route.front-door', route.app, null, null, `${route.app} left the front door`);
      return;
    }
    const saved = await this.#frontDoors.save(route.app, spec);
    await this.#frontDoors.attach(route.app, router, saved);
    route.frontDoor = saved;
    await this.#store.commit();
    // ACME without a good stored certificate: obtained now, through the door just attached (which answers the
    // challenges). A failure stops the deploy here, before any traffic moved; the route stays on the door over
    // plain HTTP and the certificate is tried again in the background.
    if (saved.acme !== undefined && saved.certificates.length === 0) {
      route.frontDoor = await this.#frontDoors.obtain(route.app, saved);
      await this.#store.commit();
    }
    this.#store.event(
      'route.front-door',
      route.app,
      null,
      null,
      `${route.app} answers to ${saved.names.join(', ')}${saved.pathPrefix === '/' ? '' : ` under ${saved.pathPrefix}`} on the front door :${saved.httpPort}/:${saved.httpsPort}`,
    );
  }

  async switchRoute({
    app,
    target,
    drainTimeoutMs,
    group,
  }: RouterMethods['switchRoute']['params']): Promise<RouterMethods['switchRoute']['result']> {
    const route = this.#store.route(app);
    const router = this.#store.listening(route);
    refuseTripped(this.#store, target.id);
    const grouped = group && group.members.length > 1 ? group : undefined;
    // Saved first: when the disk refuses, nothing changed and users stay where they were.
    await this.#store.commit((s) => {
      const saved = s.routes.find((r) => r.app === app);
      if (saved) Object.assign(saved, { active: target, group: grouped, split: null });
    });
    const previous = router.active;
    const before = applyActiveSide(router, target, grouped);
    route.active = target;
    route.group = grouped ?? null;
    route.split = null; // a switch ends any canary split: all traffic goes to the new active target
    const now = activeIdsOf(target, grouped);
    for (const id of now) route.draining.delete(id);
    for (const old of before.filter((id) => !now.includes(id))) {
      route.draining.add(old);
      void router.drain(old, drainTimeoutMs).finally(() => route.draining.delete(old));
    }
    this.#store.event(
      'traffic.switched',
      app,
      target.id,
      target.release,
      `traffic of ${app} switched to ${now.join(', ')}`,
      { previous, ...(grouped ? { group: now } : {}) },
    );
    const previousGroup = before.length > 1 ? { previousGroup: before } : {};
    return { previous, ...previousGroup, switchedAtMs: this.#store.clock.nowMs() };
  }

  async setWeight(params: RouterMethods['setWeight']['params']): Promise<{ weight: number }> {
    const { app, canary, weight, header, cookie } = params;
    const route = this.#store.route(app);
    const router = this.#store.listening(route);
    if (weight === 0 || canary === null) {
      await this.#store.commit((s) => {
        const saved = s.routes.find((r) => r.app === app);
        if (saved) saved.split = null;
      });
      router.clearSplit();
      route.split = null;
    } else {
      refuseTripped(this.#store, canary.id);
      const split: SplitState = { canary, weight, header, cookie, tripwire: params.tripwire ?? null };
      await this.#store.commit((s) => {
        const saved = s.routes.find((r) => r.app === app);
        if (saved) saved.split = split;
      });
      router.addTarget(canary);
      applySplit(this.#store, route, split);
    }
    const who = canary?.id ?? 'none';
    this.#store.event(
      'traffic.weighted',
      app,
      canary?.id ?? null,
      null,
      `canary ${who} of ${app} gets ${weight}% of users`,
      { weight },
    );
    return { weight };
  }

  async unroute({
    app,
    targetId,
    drainTimeoutMs,
  }: RouterMethods['unroute']['params']): Promise<{ routed: boolean }> {
    // A target is unrouted by its app's name: it may be on the app's route or on one of its environments'.
    const route =
      [this.#store.routes.get(app), ...this.#store.routes.values()].find(
        (r) =>
          r !== undefined &&
          (r.app === app || r.app.startsWith(`${app}@`)) &&
          r.router?.targetIds().includes(targetId) === true,
      ) ?? undefined;
    const router = route?.router;
    if (!route || !router) return { routed: false };
    const key = route.app;
    // A member of the serving group leaves it; the others go on serving.
    const group = route.group?.members.some((m) => m.id === targetId) ? route.group : null;
    const rest = group ? deriveGroupWithout(group, targetId) : null;
    const first = group?.members.find((m) => m.id !== targetId) ?? null;
    const wasActive = router.active === targetId && first === null;
    await this.#store.commit((s) => {
      const saved = s.routes.find((r) => r.app === key);
      if (!saved) return;
      if (first !== null) Object.assign(saved, { active: first, group: rest ?? undefined });
      if (saved.active?.id === targetId) saved.active = null;
      if (saved.split?.canary.id === targetId) saved.split = null;
    });
    if (first !== null) {
      applyActiveSide(router, first, rest);
      route.active = first;
      route.group = rest;
    }
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
    if (!this.#store.trips.has(targetId)) return { forgotten: false };
    this.#store.trips.delete(targetId);
    await this.#store.commit();
    return { forgotten: true };
  }

  ensureEdge(params: RouterMethods['ensureEdge']['params']): Promise<RouteStatus & { created: boolean }> {
    return this.#edges.ensureEdge(params);
  }

  setEdgeMember(
    params: RouterMethods['setEdgeMember']['params'],
  ): Promise<RouterMethods['setEdgeMember']['result']> {
    return this.#edges.setEdgeMember(params);
  }

  renewCertificate(params: RouterMethods['renewCertificate']['params']): Promise<RenewalResult> {
    return this.#frontDoors.renewCertificate(params);
  }
  readonly acmeChallenge: RoutePort['acmeChallenge'] = (params) => this.#frontDoors.acmeChallenge(params);
  readonly setMaintenance: RoutePort['setMaintenance'] = (params) => setRouteMaintenance(this.#store, params);

  metrics({ app }: { app: string }): Promise<RouterMethods['metrics']['result']> {
    return Promise.resolve({
      targets: this.#store.route(app).router?.metrics() ?? [],
      trips: [...this.#store.trips.values()].filter((t) => t.app === app).map((t) => t.report),
    });
  }

  allMetrics(): Promise<RouterMethods['allMetrics']['result']> {
    return Promise.resolve({
      routes: [...this.#store.routes.values()].map((r) => ({
        app: r.app,
        targets: r.router?.metrics() ?? [],
      })),
    });
  }
}
