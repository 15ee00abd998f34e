import { mkdir, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Trip, TripwireSpec } from '../analysis/tripwire.js';
import { systemClock, type Clock } from '../core/clock.js';
import { formatDurationMs, MAX_TIMER_MS } from '../core/duration.js';
import { ConflictError, NotFoundError, SlipwayError } from '../core/errors.js';
import { waitUntilHealthy } from '../router/health-check.js';
import { POOL_CONNECT_BACKSTOP_MS, type PoolMemberEvent } from '../router/edge-pool.js';
import { MAX_ANSWER_TIMEOUT_MS } from '../router/edge-failover.js';
import { Router } from '../router/router.js';
import { serveControlSocket, type AgentHandlers, type ControlServer } from './control-server.js';
import { EventJournal } from './event-journal.js';
import { renderPrometheusMetrics } from './metrics-exposition.js';
import { renderHostPrometheus } from './host-exposition.js';
import { scanLogs } from './log-scan.js';
import { MonitorSampler } from './monitor-sampler.js';
import { findFreePort } from './process-util.js';
import {
  type CanaryTripReport,
  AGENT_PROTOCOL_VERSION,
  edgeRouteKey,
  type EdgeFailoverSpec,
  type EdgeUpstream,
  type EjectionCause,
  type HealthCheckSpec,
  type RouteStatus,
} from './protocol.js';
import { installReleaseDir, listReleaseDirs, releaseDirFor } from './release-dirs.js';
import { readJsonIfExists, SnapshotWriter } from './state-file.js';
import { toTargetStatus, type SupervisorEvent, type TargetRecord } from './supervisor.js';
import { DockerRuntime } from '../runtime/docker-runtime.js';
import { hasImage, installImage } from '../runtime/docker-images.js';
import { ProcessRuntime } from '../runtime/process-runtime.js';
import { RuntimeSet } from '../runtime/runtime-set.js';
import { agentPaths } from './agent-paths.js';
import { readPreflightFacts } from './read-preflight-facts.js';
import { AGENT_VERSION } from './version.js';
import { targetSecretValues } from '../runtime/target-secrets.js';

export { agentPaths } from './agent-paths.js';

interface RouteRecord {
  app: string;
  publicPort: number;
  bindAddress: string;
  router: Router | null;
  /** Set when the router could not listen after a restart (e.g. the port was taken meanwhile). */
  listenError: string | null;
  draining: Set<string>;
  split: CanarySplit | null;
  /** Set for an edge route (keyed `edge:<app>`): the config it was last ensured with. */
  edge: EdgeRecord | null;
}

interface EdgeRecord {
  app: string;
  healthCheck: HealthCheckSpec;
  /** Absent when the control plane sent none (an older one): the router's defaults apply. */
  failover?: EdgeFailoverSpec;
  upstreams: Array<EdgeUpstream & { enabled: boolean; disabledSinceMs?: number | null }>;
}

interface CanarySplit {
  canary: string;
  weight: number;
  header: string;
  cookie: string;
  /** Kept so that a restarted agent arms its router's tripwire again. */
  tripwire?: TripwireSpec | null;
}

interface AgentSnapshot {
  version: 1;
  metricsPort?: number | null;
  targets: TargetRecord[];
  routes: Array<{
    app: string;
    publicPort: number;
    bindAddress: string;
    active: string | null;
    split?: CanarySplit | null;
  }>;
  edges?: Array<EdgeRecord & { publicPort: number; bindAddress: string }>;
  /** Canaries that tripped: a restarted agent still refuses to route to them. */
  trips?: Array<{ app: string; report: CanaryTripReport }>;
}

const DEFAULT_RETIRE_DRAIN_MS = 30_000;
/** How long an upstream dropped from an edge's list may finish its requests before it is cut. */
const DEFAULT_EDGE_DRAIN_MS = 30_000;
/** How often a member put back into the edge is looked at until its checks let it in. */
const IN_ROTATION_POLL_MS = 50;

/** The on-host daemon: supervises targets, runs one router per app, and answers the control protocol. */
export class Agent {
  readonly paths: ReturnType<typeof agentPaths>;
  readonly startedAtMs: number;
  #runtimes!: RuntimeSet;
  #journal!: EventJournal;
  #snapshot!: SnapshotWriter;
  #server: ControlServer | null = null;
  readonly #routes = new Map<string, RouteRecord>();
  /** Canaries whose tripwire ended their split, by target id, until the target is started anew. */
  readonly #trips = new Map<string, { app: string; report: CanaryTripReport }>();
  readonly #retireTimers = new Map<string, NodeJS.Timeout>();
  #metrics: { port: number; server: HttpServer } | null = null;
  #sampler: MonitorSampler | null = null;
  #log: (line: string) => void;

  private constructor(
    home: string,
    private readonly clock: Clock,
    log: (line: string) => void,
  ) {
    this.paths = agentPaths(home);
    this.startedAtMs = clock.nowMs();
    this.#log = log;
  }

  static async start(options: { home: string; clock?: Clock; log?: (line: string) => void }): Promise<Agent> {
    const agent = new Agent(options.home, options.clock ?? systemClock, options.log ?? (() => {}));
    await agent.#start();
    return agent;
  }

  async #start(): Promise<void> {
    await mkdir(this.paths.home, { recursive: true, mode: 0o700 });
    this.#journal = await EventJournal.open(this.paths.events);
    const onChange = (): void => void this.#snapshot.request();
    const onEvent = (e: SupervisorEvent): void => this.#onSupervisorEvent(e);
    this.#runtimes = new RuntimeSet(
      new ProcessRuntime(this.paths.logs, this.paths.releases, this.clock, onChange, onEvent),
      new DockerRuntime(this.clock, onChange, onEvent),
    );
    this.#snapshot = new SnapshotWriter(
      this.paths.state,
      () => this.#toSnapshot(),
      (err) => this.#log(`could not write state: ${String(err)}`),
    );
    await this.#recover();
    this.#sampler = new MonitorSampler(
      {
        diskPath: this.paths.home,
        targets: () => this.#runtimes.list().map(toTargetStatus),
        routes: () =>
          [...this.#routes.values()].map((r) => ({ app: r.app, targets: r.router?.metrics() ?? [] })),
        stderrTail: (id) => this.#runtimes.owner(id).stderrTail(id),
      },
      this.clock,
    );
    this.#server = await serveControlSocket(this.paths.socket, this.#handlers());
    this.#journal.append({
      atMs: this.clock.nowMs(),
      kind: 'agent.started',
      app: '',
      targetId: null,
      release: null,
      message: `agent ${AGENT_VERSION} started (pid ${process.pid})`,
    });
  }

  /** After a restart: adopt targets that still run, restart the others, listen on the routes again. */
  async #recover(): Promise<void> {
    const snapshot = await readJsonIfExists<AgentSnapshot>(this.paths.state);
    if (!snapshot) return;
    for (const record of snapshot.targets) {
      // A container target whose engine does not answer stays recorded as it was; the next agent tries again.
      await this.#runtimes
        .for(record.spec)
        .adopt(record)
        .catch((err: unknown) => this.#log(`could not adopt ${record.spec.id}: ${String(err)}`));
    }
    for (const trip of snapshot.trips ?? []) this.#trips.set(trip.report.canaryTargetId, trip);
    for (const route of snapshot.routes) {
      const record = await this.#openRoute(route.app, route.publicPort, route.bindAddress);
      if (route.active && record.router) {
        const target = this.#runtimes.get(route.active);
        if (target) {
          record.router.addTarget({ id: target.spec.id, release: target.spec.release, port: target.port });
          record.router.setActive(target.spec.id);
        }
        const canary = route.split ? this.#runtimes.get(route.split.canary) : undefined;
        if (route.split && canary && !this.#trips.has(canary.spec.id)) {
          record.router.addTarget({ id: canary.spec.id, release: canary.spec.release, port: canary.port });
          this.#applySplit(record, route.split, canary.spec.release);
        }
      }
    }
    for (const { publicPort, bindAddress, ...edge } of snapshot.edges ?? []) {
      const record = await this.#openRoute(edgeRouteKey(edge.app), publicPort, bindAddress, edge);
      if (record.router) await this.#applyEdge(record, edge, DEFAULT_EDGE_DRAIN_MS);
    }
    if (snapshot.metricsPort)
      await this.#ensureMetricsServer(snapshot.metricsPort).catch((err: unknown) => this.#log(String(err)));
    for (const target of this.#runtimes.list()) {
      if (target.stopAtMs !== null) this.#armRetire(target.spec.id, target.stopAtMs - this.clock.nowMs());
    }
    void this.#snapshot.request();
  }

  async #openRoute(
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

  /** Serves the routers' metrics in the Prometheus format on a loopback port (for a Prometheus to scrape). */
  async #ensureMetricsServer(port: number): Promise<void> {
    if (this.#metrics?.port === port) return;
    if (this.#metrics) {
      throw new SlipwayError(`the agent already serves metrics on port ${this.#metrics.port}`, {
        hint: 'every environment on a host must use the same metricsPort',
      });
    }
    const server = createHttpServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      const routes = [...this.#routes.values()].map((r) => ({
        app: r.app,
        targets: r.router?.metrics() ?? [],
      }));
      res
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        .end(renderPrometheusMetrics(routes) + renderHostPrometheus(this.#sampler?.latest() ?? null));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new SlipwayError(
            `the agent cannot serve metrics on 127.0.0.1:${port}: ${err.code ?? err.message}`,
            { hint: 'choose another metricsPort' },
          ),
        ),
      );
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#metrics = { port, server };
    void this.#snapshot.request();
  }

  async stop(options: { stopTargets: boolean }): Promise<void> {
    for (const timer of this.#retireTimers.values()) clearTimeout(timer);
    this.#retireTimers.clear();
    this.#sampler?.stop();
    if (options.stopTargets) {
      await Promise.all(this.#runtimes.list().map((t) => this.#runtimes.stop(t.spec.id)));
    }
    this.#runtimes.detach();
    // Save the state while the routers still know their active targets, then keep it: closing a router
    // clears its routes, and the next agent must find them as they were to serve again at once.
    await this.#snapshot.request();
    await this.#snapshot.flush();
    this.#snapshot.freeze();
    await Promise.all([...this.#routes.values()].map((r) => r.router?.close() ?? Promise.resolve()));
    const metrics = this.#metrics;
    if (metrics) await new Promise<void>((resolve) => metrics.server.close(() => resolve()));
    await this.#server?.close();
    await rm(this.paths.socket, { force: true });
  }

  #route(app: string): RouteRecord {
    const route = this.#routes.get(app);
    if (!route) throw new NotFoundError(`no route for app ${app} on this host`);
    return route;
  }

  #target(id: string): TargetRecord {
    const target = this.#runtimes.get(id);
    if (!target)
      throw new NotFoundError(`no target ${id} on this host`, { hint: 'it may have been stopped' });
    return target;
  }

  #routeStatus(route: RouteRecord): RouteStatus {
    return {
      app: route.app,
      publicPort: route.publicPort,
      bindAddress: route.bindAddress,
      active: route.router?.active ?? null,
      draining: [...route.draining],
      split: route.split ? { canary: route.split.canary, weight: route.split.weight } : null,
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

  #toSnapshot(): AgentSnapshot {
    return {
      version: 1,
      metricsPort: this.#metrics?.port ?? null,
      targets: this.#runtimes.list(),
      routes: [...this.#routes.values()]
        .filter((r) => r.edge === null)
        .map((r) => ({
          app: r.app,
          publicPort: r.publicPort,
          bindAddress: r.bindAddress,
          active: r.router?.active ?? null,
          split: r.split,
        })),
      edges: [...this.#routes.values()].flatMap((r) =>
        r.edge === null ? [] : [{ ...r.edge, publicPort: r.publicPort, bindAddress: r.bindAddress }],
      ),
      trips: [...this.#trips.values()],
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

  /**
   * Brings an edge router's pool in line with `edge`: members not listed any more (or moved to another address)
   * are drained and removed, new ones added. A member keeps its enabled state (a rolling update in progress).
   */
  async #applyEdge(record: RouteRecord, edge: EdgeRecord, drainTimeoutMs: number): Promise<void> {
    const router = record.router;
    if (!router) return;
    record.edge = edge;
    const app = edge.app;
    router.configurePool({
      healthCheck: edge.healthCheck,
      ...(edge.failover ? { failover: edge.failover } : {}),
      onMemberEvent: (e) => this.#onEdgeMemberEvent(app, e),
      wallClockMs: () => this.clock.nowMs(),
    });
    for (const member of router.poolMembers()) {
      const wanted = edge.upstreams.find((u) => u.id === member.id);
      if (wanted && wanted.address === member.address && wanted.port === member.port) continue;
      record.draining.add(member.id);
      const drained = router
        .drain(member.id, drainTimeoutMs)
        .catch((err: unknown) => this.#log(`edge of ${app}: removing ${member.id} failed: ${String(err)}`))
        .finally(() => record.draining.delete(member.id));
      if (wanted) await drained; // moved: the old address must be gone before the new one is added
    }
    for (const u of edge.upstreams) {
      router.addPoolMember(
        { id: u.id, host: u.address, port: u.port },
        { enabled: u.enabled, disabledSinceMs: u.disabledSinceMs ?? null },
      );
    }
    this.#syncEdgeRecord(record);
  }

  /** Ejections and re-admissions of an edge's members go to the journal (and so to the ledger). */
  #onEdgeMemberEvent(app: string, e: PoolMemberEvent): void {
    const { cause, sinceMs, detail } = e.ejection;
    if (e.kind === 'ejected') {
      this.#event(
        'edge.member-ejected',
        app,
        null,
        null,
        `edge of ${app}: upstream ${e.member} ejected (${EJECTION_WORDS[cause]}: ${detail})`,
        { member: e.member, cause, detail },
      );
      return;
    }
    const outForMs = Math.max(0, e.atMs - sinceMs);
    const how = e.how === 'passed-checks' ? 'its health checks pass again' : 'its health check was changed';
    this.#event(
      'edge.member-readmitted',
      app,
      null,
      null,
      `edge of ${app}: upstream ${e.member} ${e.enabled ? 'back in rotation' : 'healthy again (still disabled)'} after ${formatDurationMs(outForMs)} out (${how})`,
      { member: e.member, cause, outForMs, how: e.how },
    );
  }

  /** The router holds the members' enabled state; the record (and so the snapshot) copies it. */
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

  /**
   * Resolves true once the edge has member `id` in rotation, false when its checks have not let it in within the
   * time they need to (healthyThreshold passes, each an interval plus its timeout, and one more interval).
   */
  async #whenInRotation(router: Router, id: string, check: HealthCheckSpec): Promise<boolean> {
    const boundMs = (check.healthyThreshold + 1) * (check.intervalMs + check.timeoutMs);
    const deadline = performance.now() + boundMs;
    for (;;) {
      const member = router.poolMembers().find((m) => m.id === id);
      if (member === undefined) return false;
      if (member.inRotation) return true;
      if (performance.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, IN_ROTATION_POLL_MS));
    }
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

  #armRetire(id: string, delayMs: number): void {
    const existing = this.#retireTimers.get(id);
    if (existing) clearTimeout(existing);
    // A timer fires at once past 2^31-1 ms: a longer keep-warm (an old plan, an old state file) waits in steps.
    const stepMs = Math.min(Math.max(0, delayMs), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.#retireTimers.delete(id);
      if (delayMs > MAX_TIMER_MS) {
        this.#armRetire(id, delayMs - MAX_TIMER_MS);
        return;
      }
      void this.#stopTarget(id, DEFAULT_RETIRE_DRAIN_MS).then(
        () => this.#event('target.retired', this.#appOf(id), id, null, `retired warm target ${id}`),
        (err: unknown) => this.#log(`retire ${id} failed: ${String(err)}`),
      );
    }, stepMs);
    timer.unref();
    this.#retireTimers.set(id, timer);
  }

  #cancelRetire(target: TargetRecord): void {
    const timer = this.#retireTimers.get(target.spec.id);
    if (timer) clearTimeout(timer);
    this.#retireTimers.delete(target.spec.id);
    target.stopAtMs = null;
  }

  #appOf(id: string): string {
    return this.#runtimes.get(id)?.spec.app ?? '';
  }

  async #stopTarget(id: string, drainTimeoutMs: number): Promise<boolean> {
    const target = this.#runtimes.get(id);
    if (!target) return false;
    this.#cancelRetire(target);
    const route = this.#routes.get(target.spec.app);
    const router = route?.router;
    if (router && route && router.targetIds().includes(id)) {
      if (router.active === id) router.clearActive();
      route.draining.add(id);
      try {
        await router.drain(id, drainTimeoutMs);
      } finally {
        route.draining.delete(id);
      }
    }
    return this.#runtimes.stop(id);
  }

  /** Routes `split` (its canary already added to the router), with its tripwire armed when it has one. */
  #applySplit(route: RouteRecord, split: CanarySplit, release: string): void {
    const { tripwire, ...routerSplit } = split;
    route.router?.setSplit(
      routerSplit,
      tripwire ? { spec: tripwire, onTrip: (trip) => this.#onTrip(route, release, split, trip) } : null,
    );
    route.split = split;
  }

  /** The router's tripwire ended a canary's split: say so, and keep the evidence for `metrics`. */
  #onTrip(route: RouteRecord, release: string, split: CanarySplit, trip: Trip): void {
    if (route.split?.canary === split.canary) route.split = null;
    const report: CanaryTripReport = {
      canaryTargetId: split.canary,
      release,
      atMs: this.clock.nowMs(),
      condition: trip.condition,
      detail: trip.detail,
      measurements: trip.measurements,
    };
    this.#trips.set(split.canary, { app: route.app, report });
    void this.#snapshot.request();
    this.#event(
      'canary.tripped',
      route.app,
      split.canary,
      release,
      `canary ${split.canary} of ${route.app} gets 0% of users: ${trip.detail}`,
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
    this.#journal.append({
      atMs: this.clock.nowMs(),
      kind,
      app,
      targetId,
      release,
      message,
      ...(data ? { data } : {}),
    });
    this.#log(message);
  }

  #onSupervisorEvent(e: SupervisorEvent): void {
    this.#event(e.kind, e.app, e.targetId, e.release, e.message, e.data);
    // An exit is sampled at once (with its stderr tail): the target may be stopped and gone before the next tick.
    if (e.kind === 'target.exited') void this.#sampler?.sampleNow();
  }

  #handlers(): AgentHandlers {
    return {
      ping: () =>
        Promise.resolve({ agentVersion: AGENT_VERSION, protocol: AGENT_PROTOCOL_VERSION, pid: process.pid }),

      state: async () => ({
        agentVersion: AGENT_VERSION,
        protocol: AGENT_PROTOCOL_VERSION,
        pid: process.pid,
        startedAtMs: this.startedAtMs,
        targets: this.#runtimes.list().map(toTargetStatus),
        routes: [...this.#routes.values()].map((r) => this.#routeStatus(r)),
        releases: await listReleaseDirs(this.paths.releases),
      }),

      installRelease: async ({ image, ...params }) => {
        if (!image) return installReleaseDir(this.paths.releases, params);
        const { alreadyInstalled } = await installImage(image, image.pull ? null : params.artifactPath);
        return {
          app: params.app,
          version: params.version,
          sha256: params.sha256,
          dir: image.id,
          alreadyInstalled,
        };
      },

      hasImage: async ({ socket, id }) => ({ present: await hasImage(socket, id) }),

      startTarget: async (spec) => {
        const existing = this.#runtimes.get(spec.id);
        if (existing) return { ...toTargetStatus(existing), alreadyRunning: true };
        const releaseDir = spec.container ? '' : releaseDirFor(this.paths.releases, spec.app, spec.release);
        const installed =
          spec.container !== undefined ||
          (await listReleaseDirs(this.paths.releases)).some((r) => r.dir === releaseDir);
        if (!installed) {
          throw new NotFoundError(`release ${spec.release} of ${spec.app} is not installed on this host`, {
            hint: 'install the release before starting a target of it',
          });
        }
        const port = await findFreePort();
        this.#trips.delete(spec.id);
        const record = await this.#runtimes.for(spec).start(spec, releaseDir, port);
        return { ...toTargetStatus(record), alreadyRunning: false };
      },

      waitHealthy: async ({ id, timeoutMs }) => {
        const target = this.#target(id);
        const outcome = await waitUntilHealthy({
          port: target.port,
          spec: target.spec.healthCheck,
          timeoutMs,
          probeAlive: () => this.#runtimes.owner(id).isAlive(id),
        });
        target.health = outcome.healthy ? 'healthy' : 'unhealthy';
        void this.#snapshot.request();
        if (outcome.healthy) return outcome;
        const tail = await this.#runtimes.owner(id).stderrTail(id);
        return {
          ...outcome,
          reason: tail
            ? `${outcome.reason ?? 'not healthy'}\n--- last lines of stderr ---\n${tail}`
            : outcome.reason,
        };
      },

      stopTarget: async ({ id, drainTimeoutMs }) => ({ stopped: await this.#stopTarget(id, drainTimeoutMs) }),

      retireTarget: ({ id, afterMs }) => {
        const target = this.#target(id);
        target.stopAtMs = this.clock.nowMs() + afterMs;
        this.#armRetire(id, afterMs);
        void this.#snapshot.request();
        return Promise.resolve({ stopAtMs: target.stopAtMs });
      },

      ensureRoute: async ({ app, publicPort, bindAddress, metricsPort }) => {
        if (metricsPort) await this.#ensureMetricsServer(metricsPort);
        const existing = this.#routes.get(app);
        if (
          existing &&
          existing.router &&
          existing.publicPort === publicPort &&
          existing.bindAddress === bindAddress
        ) {
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
        void this.#snapshot.request();
        return { ...this.#routeStatus(record), created: true };
      },

      switchRoute: ({ app, targetId, drainTimeoutMs }) => {
        const route = this.#route(app);
        const router = route.router;
        if (!router)
          throw new SlipwayError(`router for ${app} is not listening: ${route.listenError ?? 'unknown'}`);
        const target = this.#target(targetId);
        if (target.state !== 'running') {
          throw new SlipwayError(
            `target ${targetId} is ${target.state}; traffic is only switched to a running target`,
          );
        }
        this.#refuseTripped(targetId);
        this.#cancelRetire(target);
        router.addTarget({ id: targetId, release: target.spec.release, port: target.port });
        const previous = router.setActive(targetId);
        route.split = null; // a switch ends any canary split: all traffic goes to the new active target
        const switchedAtMs = this.clock.nowMs();
        route.draining.delete(targetId);
        if (previous && previous !== targetId) {
          route.draining.add(previous);
          void router.drain(previous, drainTimeoutMs).finally(() => route.draining.delete(previous));
        }
        void this.#snapshot.request();
        this.#event(
          'traffic.switched',
          app,
          targetId,
          target.spec.release,
          `traffic of ${app} switched to ${targetId}`,
          {
            previous,
          },
        );
        return Promise.resolve({ previous, switchedAtMs });
      },

      setWeight: ({ app, canaryTargetId, weight, header, cookie, tripwire }) => {
        const route = this.#route(app);
        const router = route.router;
        if (!router)
          throw new SlipwayError(`router for ${app} is not listening: ${route.listenError ?? 'unknown'}`);
        if (weight === 0) {
          router.clearSplit();
        } else {
          const target = this.#target(canaryTargetId);
          if (target.state !== 'running') {
            throw new SlipwayError(
              `canary target ${canaryTargetId} is ${target.state}; traffic only goes to a running target`,
            );
          }
          this.#refuseTripped(canaryTargetId);
          router.addTarget({ id: canaryTargetId, release: target.spec.release, port: target.port });
          this.#applySplit(
            route,
            { canary: canaryTargetId, weight, header, cookie, tripwire: tripwire ?? null },
            target.spec.release,
          );
        }
        if (weight === 0) route.split = null;
        void this.#snapshot.request();
        this.#event(
          'traffic.weighted',
          app,
          canaryTargetId,
          null,
          `canary ${canaryTargetId} of ${app} gets ${weight}% of users`,
          { weight },
        );
        return Promise.resolve({ weight });
      },

      ensureEdge: async ({
        app,
        publicPort,
        bindAddress,
        healthCheck,
        upstreams,
        drainTimeoutMs,
        failover,
      }) => {
        validateEdgeUpstreams(app, upstreams);
        if (failover) validateEdgeFailover(app, failover);
        const key = edgeRouteKey(app);
        const existing = this.#routes.get(key);
        if (
          existing?.router &&
          (existing.publicPort !== publicPort || existing.bindAddress !== bindAddress)
        ) {
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
        await this.#applyEdge(record, edge, drainTimeoutMs ?? DEFAULT_EDGE_DRAIN_MS);
        void this.#snapshot.request();
        if (created) {
          this.#event('edge.created', app, null, null, `edge of ${app} listens on port ${publicPort}`, {
            upstreams: upstreams.map((u) => u.id),
          });
        }
        return { ...this.#routeStatus(record), created };
      },

      setEdgeMember: async ({ app, id, enabled, drainTimeoutMs }) => {
        const record = this.#edgeRoute(app);
        const router = record.router;
        router.setPoolMember(id, enabled);
        this.#syncEdgeRecord(record);
        void this.#snapshot.request();
        const verb = enabled ? 'enabled' : 'disabled';
        this.#event(`edge.member-${verb}`, app, null, null, `edge of ${app}: upstream ${id} ${verb}`, {
          member: id,
        });
        const idle = enabled ? null : await router.whenPoolMemberIdle(id, drainTimeoutMs);
        // Put back: "back in the edge" (and a deploy's "live") must mean users reach it, so wait for the edge's
        // checks to let it in (after a first deploy they failed while its router did not serve yet).
        const inRotation = enabled ? await this.#whenInRotation(router, id, record.edge.healthCheck) : false;
        const member = router.poolMembers().find((m) => m.id === id);
        const inFlight = idle?.inFlight ?? member?.inFlight ?? 0;
        return {
          enabled: member?.enabled ?? enabled,
          drained: idle ? idle.drained : inFlight === 0,
          inFlight,
          ...(enabled ? { inRotation } : {}),
        };
      },

      metrics: ({ app }) =>
        Promise.resolve({
          targets: this.#route(app).router?.metrics() ?? [],
          trips: [...this.#trips.values()].filter((t) => t.app === app).map((t) => t.report),
        }),

      monitor: async ({ afterMs, sampleIntervalMs, logScan }) => {
        const sampler = this.#sampler as MonitorSampler;
        if (sampleIntervalMs) sampler.setInterval(sampleIntervalMs);
        const scan = logScan
          ? await scanLogs(
              this.paths.logs,
              this.#runtimes
                .list()
                .filter((t) => t.spec.app === logScan.app)
                .map((t) => ({ id: t.spec.id, release: t.spec.release, secrets: targetSecretValues(t) })),
              logScan.patterns,
              logScan.offsets,
            )
          : { matches: [], offsets: {} };
        return {
          nowMs: this.clock.nowMs(),
          ...sampler.since(afterMs),
          logMatches: scan.matches,
          logOffsets: scan.offsets,
        };
      },

      events: ({ afterSeq }) => Promise.resolve({ events: this.#journal.after(afterSeq) }),

      logs: async ({ app, targetId, lines, follow }, ctx) => {
        const ids = targetId ? [targetId] : this.#logTargets(app);
        // A stopped process target's logs stay on disk: the process runtime reads them for unknown ids.
        for (const id of ids) {
          for (const { stream, line } of await this.#runtimes.owner(id).readLogs(id, lines)) {
            ctx.emit({ targetId: id, stream, line });
          }
        }
        if (follow) {
          await Promise.all(
            ids.map((id) =>
              this.#runtimes
                .owner(id)
                .followLogs(id, ({ stream, line }) => ctx.emit({ targetId: id, stream, line }), ctx.signal),
            ),
          );
        }
        return { ended: true as const };
      },

      pruneReleases: async ({ app, keep, dockerSocket }) => {
        const targets = this.#runtimes.list().filter((t) => t.spec.app === app);
        return { removed: await this.#runtimes.prune({ app, keep, targets, dockerSocket }) };
      },

      preflightFacts: async (params) => ({ output: await readPreflightFacts(params) }),

      shutdown: ({ stopTargets }) => {
        // Answer first, then stop: the caller waits for the socket to go away.
        setImmediate(() => {
          void this.stop({ stopTargets }).finally(() => process.exit(0));
        });
        return Promise.resolve({ ok: true as const });
      },
    };
  }

  /** The targets whose logs `slipway logs` shows by default: the active one first, then the others of the app. */
  #logTargets(app: string): string[] {
    const active = this.#routes.get(app)?.router?.active ?? null;
    const others = this.#runtimes
      .list()
      .filter((t) => t.spec.app === app && t.spec.id !== active)
      .map((t) => t.spec.id);
    return active ? [active, ...others] : others;
  }
}

/** What an ejection's cause reads as in the journal. */
const EJECTION_WORDS: Record<EjectionCause, string> = {
  'failed-checks': 'failed health checks',
  timeouts: 'timeouts',
  refused: 'connection refused',
  unreachable: 'unreachable',
};

/** Bounds the router relies on (the config schema checks the same; this guards other callers). */
function validateEdgeFailover(app: string, f: EdgeFailoverSpec): void {
  const positive = (n: number): boolean => Number.isFinite(n) && n > 0;
  const ok =
    positive(f.connectTimeoutMs) &&
    f.connectTimeoutMs <= POOL_CONNECT_BACKSTOP_MS &&
    positive(f.answerTimeoutMinMs) &&
    positive(f.answerTimeoutMaxMs) &&
    f.answerTimeoutMinMs <= f.answerTimeoutMaxMs &&
    f.answerTimeoutMaxMs <= MAX_ANSWER_TIMEOUT_MS &&
    f.retryBudget >= 0 &&
    f.retryBudget <= 1 &&
    Number.isInteger(f.ejectAfter) &&
    f.ejectAfter >= 1;
  if (!ok) {
    throw new SlipwayError(`edge of ${app}: invalid failover settings ${JSON.stringify(f)}`, {
      hint: `connectTimeout 1 ms–${POOL_CONNECT_BACKSTOP_MS} ms, answerTimeout min ≤ max ≤ ${MAX_ANSWER_TIMEOUT_MS} ms, retryBudget 0–1, ejectAfter ≥ 1`,
    });
  }
}

function validateEdgeUpstreams(app: string, upstreams: EdgeUpstream[]): void {
  const seen = new Set<string>();
  for (const u of upstreams) {
    if (!u.id || seen.has(u.id)) {
      throw new SlipwayError(
        `edge of ${app}: upstream ids must be unique and non-empty (got ${JSON.stringify(u.id)})`,
      );
    }
    if (!u.address || !Number.isInteger(u.port) || u.port < 1 || u.port > 65_535) {
      throw new SlipwayError(`edge of ${app}: upstream ${u.id} needs an address and a port (1–65535)`);
    }
    seen.add(u.id);
  }
}
