import { systemClock, type Clock } from '../../core/clock.js';
import { NotFoundError, SlipwayError } from '../../core/errors.js';
import { Router } from '../../router/router.js';
import type { EventJournal } from '../event-journal.js';
import type { CanaryTripReport } from '../protocol.js';
import { readJsonIfExists, writeJsonDurable } from '../state-file.js';
import { deriveRoutesState, type EdgeRecord, type RouteRecord, type RoutesState } from './route-records.js';

/**
 * The host's routes and canary trips, their saved copy on disk, and their journal: what the app routes and the
 * edges of a RouteTable share. Saves run one at a time, each with the state as it is when it starts.
 */
export class RouteStore {
  readonly routes = new Map<string, RouteRecord>();
  readonly trips = new Map<string, { app: string; report: CanaryTripReport }>();
  #saving: Promise<unknown> = Promise.resolve();
  readonly clock: Clock;
  readonly log: (line: string) => void;

  constructor(
    private readonly statePath: string,
    private readonly journal: EventJournal,
    clock: Clock = systemClock,
    log: (line: string) => void = () => {},
  ) {
    this.clock = clock;
    this.log = log;
  }

  readSaved(): Promise<RoutesState | undefined> {
    return readJsonIfExists<RoutesState>(this.statePath);
  }

  /** Waits for the save that runs (a closing router process must not cut it). */
  async settled(): Promise<void> {
    await this.#saving;
  }

  /** A route listening on its public port, or with `listenError` when it cannot (the port is taken). */
  async openRoute(
    app: string,
    publicPort: number,
    bindAddress: string,
    edge: EdgeRecord | null = null,
  ): Promise<RouteRecord> {
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
      frontDoor: null,
      maintenance: null,
    };
    this.routes.set(app, record);
    try {
      record.router = await Router.listen({ port: publicPort, host: bindAddress });
    } catch (err) {
      record.listenError = err instanceof Error ? err.message : String(err);
      this.event('route.error', app, null, null, `router for ${app} cannot listen: ${record.listenError}`);
    }
    return record;
  }

  /**
   * Saves the table as it is, changed by `change`, durably; rejects (with the disk's state) when it cannot.
   * Callers apply their change to the routers only once this resolved.
   */
  commit(change: (state: RoutesState) => void = () => {}): Promise<void> {
    const run = this.#saving.then(async () => {
      const state = deriveRoutesState(this.routes.values(), this.trips.values());
      change(state);
      await writeJsonDurable(this.statePath, state);
    });
    this.#saving = run.catch(() => undefined);
    return run;
  }

  /** A save nobody waits for (a trip, an ejected member's state): logged when it fails. */
  saveLater(): void {
    this.commit().catch((err: unknown) => this.log(`could not save the routes: ${String(err)}`));
  }

  route(app: string): RouteRecord {
    const route = this.routes.get(app);
    if (!route) throw new NotFoundError(`no route for app ${app} on this host`);
    return route;
  }

  listening(route: RouteRecord): Router {
    if (!route.router) {
      throw new SlipwayError(`router for ${route.app} is not listening: ${route.listenError ?? 'unknown'}`);
    }
    return route.router;
  }

  event(
    kind: string,
    app: string,
    targetId: string | null,
    release: string | null,
    message: string,
    data?: Record<string, unknown>,
  ): void {
    this.journal.note(this.clock.nowMs(), { kind, app, targetId, release, message }, data);
    this.log(message);
  }
}
