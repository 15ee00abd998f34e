import { rm } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { systemClock, type Clock } from '../core/clock.js';
import { MAX_TIMER_MS } from '../core/duration.js';
import { NotFoundError, SlipwayError } from '../core/errors.js';
import { waitUntilHealthy } from '../router/health-check.js';
import { serveControlSocket, type AgentHandlers, type ControlServer } from './control-server.js';
import { stopKeeper } from './keeper-client.js';
import { EventJournal } from './event-journal.js';
import { JournalImport } from './journal-import.js';
import { serveAgentMetrics, type MetricsServer } from './metrics-server.js';
import { scanLogs } from './log-scan.js';
import { MonitorSampler } from './monitor-sampler.js';
import { findFreePort } from './process-util.js';
import { AGENT_PROTOCOL_VERSION, type RouteStatus } from './protocol.js';
import { installReleaseDir, listReleaseDirs, releaseDirFor } from './release-dirs.js';
import { DEFAULT_EDGE_DRAIN_MS, RouteTable, type RoutePort, type RoutesState } from './routes/route-table.js';
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

interface AgentSnapshot {
  version: 1;
  metricsPort?: number | null;
  targets: TargetRecord[];
  /** How far the router process's and the keeper's journals were copied into the agent's. */
  imported?: Record<string, number>;
  /**
   * Written by agents that served the routes themselves (before the router process, or run alone): a new router
   * process without saved routes gets them from here once.
   */
  routes?: Array<{
    app: string;
    publicPort: number;
    bindAddress: string;
    active: string | null;
    split?: { canary: string; weight: number; header: string; cookie: string; tripwire?: unknown } | null;
  }>;
  edges?: Array<RoutesState['edges'][number]>;
}

const DEFAULT_RETIRE_DRAIN_MS = 30_000;
/** How often the router process's and the keeper's journals are copied into the agent's. */
const IMPORT_INTERVAL_MS = 500;

/**
 * The on-host control daemon: supervises targets, tells the routes where they listen, and answers the control
 * protocol. The routes themselves live in the router process (`routes`), which outlives this one; an agent run
 * without one (no keeper) serves them itself, in a RouteTable of its own.
 */
export class Agent {
  readonly paths: ReturnType<typeof agentPaths>;
  readonly startedAtMs: number;
  #runtimes!: RuntimeSet;
  #journal!: EventJournal;
  #snapshot!: SnapshotWriter;
  #import: JournalImport | null = null;
  #importTimer: NodeJS.Timeout | null = null;
  #server: ControlServer | null = null;
  #routes!: RoutePort;
  /** Set when the agent serves the routes itself. */
  #ownTable: RouteTable | null = null;
  readonly #retireTimers = new Map<string, NodeJS.Timeout>();
  #metrics: MetricsServer | null = null;
  #sampler: MonitorSampler | null = null;
  #log: (line: string) => void;

  private constructor(
    home: string,
    private readonly clock: Clock,
    log: (line: string) => void,
    private readonly supervisor: string | null,
  ) {
    this.paths = agentPaths(home);
    this.startedAtMs = clock.nowMs();
    this.#log = log;
  }

  static async start(options: {
    home: string;
    clock?: Clock;
    log?: (line: string) => void;
    /** The router process's port; null or absent: the agent serves the routes itself. */
    routes?: RoutePort | null;
    supervisor?: string | null;
  }): Promise<Agent> {
    const agent = new Agent(
      options.home,
      options.clock ?? systemClock,
      options.log ?? (() => {}),
      options.supervisor ?? null,
    );
    await agent.#start(options.routes ?? null);
    return agent;
  }

  async #start(routes: RoutePort | null): Promise<void> {
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
    const snapshot = await readJsonIfExists<AgentSnapshot>(this.paths.state);
    if (routes) {
      this.#routes = routes;
      this.#import = new JournalImport(
        { router: this.paths.routerEvents, keeper: this.paths.keeperEvents },
        this.#journal,
        snapshot?.imported,
        () => void this.#snapshot.request(),
      );
    } else {
      this.#ownTable = await RouteTable.open({
        statePath: this.paths.routes,
        journal: this.#journal,
        clock: this.clock,
        log: this.#log,
      });
      this.#routes = this.#ownTable;
    }
    await this.#recover(snapshot);
    this.#sampler = new MonitorSampler(
      {
        diskPath: this.paths.home,
        targets: () => this.#runtimes.list().map(toTargetStatus),
        routes: async () => (await this.#routes.allMetrics({})).routes,
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
      message: `agent ${AGENT_VERSION} started (pid ${process.pid})${this.supervisor ? `, supervised by ${this.supervisor}` : ''}`,
    });
    if (this.#import) {
      const importer = this.#import;
      await importer.run().catch((err: unknown) => this.#log(`journal import: ${String(err)}`));
      this.#importTimer = setInterval(
        () => void importer.run().catch((err: unknown) => this.#log(`journal import: ${String(err)}`)),
        IMPORT_INTERVAL_MS,
      );
      this.#importTimer.unref();
    }
  }

  /** After a restart: adopt targets that still run, restart the others, arm their retire timers again. */
  async #recover(snapshot: AgentSnapshot | undefined): Promise<void> {
    if (!snapshot) return;
    for (const record of snapshot.targets) {
      // A container target whose engine does not answer stays recorded as it was; the next agent tries again.
      await this.#runtimes
        .for(record.spec)
        .adopt(record)
        .catch((err: unknown) => this.#log(`could not adopt ${record.spec.id}: ${String(err)}`));
    }
    await this.#moveLegacyRoutes(snapshot).catch((err: unknown) =>
      this.#log(`could not hand the saved routes to the router: ${String(err)}`),
    );
    if (snapshot.metricsPort)
      await this.#ensureMetricsServer(snapshot.metricsPort).catch((err: unknown) => this.#log(String(err)));
    for (const target of this.#runtimes.list()) {
      if (target.stopAtMs !== null) this.#armRetire(target.spec.id, target.stopAtMs - this.clock.nowMs());
    }
    void this.#snapshot.request();
  }

  /**
   * An agent that served the routes itself saved them in its state: the router (which has none of its own yet)
   * gets them, with the addresses of their targets, and the agent's state stops carrying them.
   */
  async #moveLegacyRoutes(snapshot: AgentSnapshot): Promise<void> {
    if (!snapshot.routes?.length && !snapshot.edges?.length) return;
    const { routes } = await this.#routes.routes({});
    if (routes.length > 0) return;
    for (const route of snapshot.routes ?? []) {
      await this.#routes.ensureRoute(route);
      const active = route.active ? this.#runtimes.get(route.active) : undefined;
      if (active)
        await this.#routes.switchRoute({ app: route.app, target: addressOf(active), drainTimeoutMs: 0 });
    }
    for (const { upstreams, ...edge } of snapshot.edges ?? []) {
      await this.#routes.ensureEdge({ ...edge, upstreams, drainTimeoutMs: DEFAULT_EDGE_DRAIN_MS });
      for (const u of upstreams.filter((m) => !m.enabled)) {
        await this.#routes.setEdgeMember({ app: edge.app, id: u.id, enabled: false, drainTimeoutMs: 0 });
      }
    }
  }

  async #ensureMetricsServer(port: number): Promise<void> {
    if (this.#metrics?.port === port) return;
    if (this.#metrics) {
      throw new SlipwayError(`the agent already serves metrics on port ${this.#metrics.port}`, {
        hint: 'every environment on a host must use the same metricsPort',
      });
    }
    this.#metrics = await serveAgentMetrics(port, {
      routes: async () => (await this.#routes.allMetrics({})).routes,
      host: () => this.#sampler?.latest() ?? null,
    });
    void this.#snapshot.request();
  }

  async stop(options: { stopTargets: boolean }): Promise<void> {
    for (const timer of this.#retireTimers.values()) clearTimeout(timer);
    this.#retireTimers.clear();
    if (this.#importTimer) clearInterval(this.#importTimer);
    this.#sampler?.stop();
    if (options.stopTargets) {
      await Promise.all(this.#runtimes.list().map((t) => this.#runtimes.stop(t.spec.id)));
    }
    this.#runtimes.detach();
    await this.#snapshot.request();
    await this.#snapshot.flush();
    this.#snapshot.freeze();
    await this.#ownTable?.close();
    await this.#metrics?.close();
    await this.#server?.close();
    await rm(this.paths.socket, { force: true });
  }

  #target(id: string): TargetRecord {
    const target = this.#runtimes.get(id);
    if (!target)
      throw new NotFoundError(`no target ${id} on this host`, { hint: 'it may have been stopped' });
    return target;
  }

  /** A target that gets traffic must be running. */
  #runningTarget(id: string, what: string): TargetRecord {
    const target = this.#target(id);
    if (target.state !== 'running') {
      throw new SlipwayError(`${what} ${id} is ${target.state}; traffic only goes to a running target`);
    }
    return target;
  }

  #toSnapshot(): AgentSnapshot {
    return {
      version: 1,
      metricsPort: this.#metrics?.port ?? null,
      targets: this.#runtimes.list(),
      ...(this.#import ? { imported: this.#import.offsets } : {}),
    };
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
    await this.#routes.unroute({ app: target.spec.app, targetId: id, drainTimeoutMs });
    return this.#runtimes.stop(id);
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
        routes: (await this.#routes.routes({})).routes,
        releases: await listReleaseDirs(this.paths.releases),
        supervisor: this.supervisor,
        routerPid: this.#ownTable ? null : (await this.#routes.ping({})).pid,
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
        await this.#routes.forgetTrip({ targetId: spec.id }); // a canary started anew may get traffic again
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
        return this.#routes.ensureRoute({ app, publicPort, bindAddress });
      },

      switchRoute: async ({ app, targetId, drainTimeoutMs }) => {
        const target = this.#runningTarget(targetId, 'target');
        const switched = await this.#routes.switchRoute({ app, target: addressOf(target), drainTimeoutMs });
        this.#cancelRetire(target); // only once users are on it: a refused switch leaves the warm target's timer
        void this.#snapshot.request();
        return switched;
      },

      setWeight: async ({ app, canaryTargetId, weight, header, cookie, tripwire }) => {
        const canary = weight === 0 ? null : addressOf(this.#runningTarget(canaryTargetId, 'canary target'));
        return this.#routes.setWeight({ app, canary, weight, header, cookie, tripwire: tripwire ?? null });
      },

      ensureEdge: (params) => this.#routes.ensureEdge(params),
      setEdgeMember: (params) => this.#routes.setEdgeMember(params),
      metrics: (params) => this.#routes.metrics(params),

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

      events: async ({ afterSeq }) => {
        await this.#import?.run().catch((err: unknown) => this.#log(`journal import: ${String(err)}`));
        return { events: this.#journal.after(afterSeq) };
      },

      logs: async ({ app, targetId, lines, follow }, ctx) => {
        const ids = targetId ? [targetId] : await this.#logTargets(app);
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
          void this.#shutdownHost({ stopTargets }).finally(() => process.exit(0));
        });
        return Promise.resolve({ ok: true as const });
      },
    };
  }

  /**
   * `slipway agent stop`: the keeper stops supervising first (or it would start everything again), then the router
   * process closes the public ports, then the agent itself stops.
   */
  async #shutdownHost(options: { stopTargets: boolean }): Promise<void> {
    if (!this.#ownTable) {
      await stopKeeper(this.paths.keeperSocket).catch((err: unknown) => this.#log(`keeper: ${String(err)}`));
      await this.#routes.shutdown({}).catch((err: unknown) => this.#log(`router process: ${String(err)}`));
    }
    await this.stop(options);
  }

  /** The targets whose logs `slipway logs` shows by default: the active one first, then the others of the app. */
  async #logTargets(app: string): Promise<string[]> {
    const { routes } = await this.#routes.routes({});
    const active = routes.find((r: RouteStatus) => r.app === app)?.active ?? null;
    const others = this.#runtimes
      .list()
      .filter((t) => t.spec.app === app && t.spec.id !== active)
      .map((t) => t.spec.id);
    return active ? [active, ...others] : others;
  }
}

/** Where the router reaches a target. */
function addressOf(target: TargetRecord): { id: string; release: string; port: number } {
  return { id: target.spec.id, release: target.spec.release, port: target.port };
}
