import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import { serveControlSocket, type AgentHandlers, type ControlServer } from './control-server.js';
import { stopKeeper } from './keeper-client.js';
import { EventJournal } from './event-journal.js';
import { JournalImport } from './journal-import.js';
import { serveAgentMetrics, type MetricsServer } from './metrics-server.js';
import { MonitorSampler } from './monitor-sampler.js';
import { AGENT_PROTOCOL_VERSION } from './protocol.js';
import { listReleaseDirs } from './release-dirs.js';
import { checkRegistryLogin } from '../runtime/registry-login.js';
import { hasReleaseImage, installRelease, startTarget, waitTargetHealthy } from './target-handlers.js';
import { moveLegacyRoutes, type LegacyRoutes } from './routes/legacy-routes.js';
import { RouteTable, type RoutePort } from './routes/route-table.js';
import { defaultLogTargets, scanAppLogs, streamTargetLogs } from './target-logs.js';
import { runOnce } from './run-once.js';
import { archiveShared, restoreShared } from './shared-archive.js';
import { waitWorkerHealthy } from './worker-health.js';
import { CronScheduler } from './cron-scheduler.js';
import { cronLogsOf, liveTargetOf } from './cron-live.js';
import { readJsonIfExists, SnapshotWriter } from './state-file.js';
import type { SupervisorEvent, TargetRecord } from '../runtime/target-record.js';
import { toTargetStatus } from './supervisor.js';
import { TargetTraffic } from './target-traffic.js';
import { DockerRuntime } from '../runtime/docker-runtime.js';
import { ProcessRuntime } from './process-runtime.js';
import { RuntimeSet } from '../runtime/runtime-set.js';
import { agentPaths } from './agent-paths.js';
import { readPreflightFacts } from './read-preflight-facts.js';
import { AGENT_VERSION } from './version.js';

export { agentPaths } from './agent-paths.js';

/** The agent's state file; `routes`/`edges` only in files written by agents that served the routes themselves. */
interface AgentSnapshot extends LegacyRoutes {
  version: 1;
  metricsPort?: number | null;
  targets: TargetRecord[];
  /** How far the router process's and the keeper's journals were copied into the agent's. */
  imported?: Record<string, number>;
}

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
  #server: ControlServer | null = null;
  #routes!: RoutePort;
  /** Set when the agent serves the routes itself. */
  #ownTable: RouteTable | null = null;
  #metrics: MetricsServer | null = null;
  #sampler: MonitorSampler | null = null;
  /** Which targets get users, the health watch of those that do, and the retirement of warm ones. */
  #traffic!: TargetTraffic;
  #cron: CronScheduler | null = null;
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
    this.#traffic = new TargetTraffic({
      runtimes: this.#runtimes,
      routes: this.#routes,
      clock: this.clock,
      changed: () => void this.#snapshot.request(),
      event: (kind, t, message, data) =>
        this.#event(kind, t.spec.app, t.spec.id, t.spec.release, message, data),
      log: this.#log,
    });
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
    this.#cron = await CronScheduler.start({
      clock: this.clock,
      logsDir: this.paths.logs,
      statePath: join(this.paths.home, 'cron.json'),
      live: (route) => liveTargetOf(route, this.#routes, this.#runtimes),
      event: (kind, route, release, message, data) =>
        this.#event(kind, route, null, release, message, { ...data }),
      log: this.#log,
    });
    this.#server = await serveControlSocket(this.paths.socket, this.#handlers());
    const by = this.supervisor ? `, supervised by ${this.supervisor}` : '';
    this.#event('agent.started', '', null, null, `agent ${AGENT_VERSION} started (pid ${process.pid})${by}`);
    await this.#import?.startEvery(IMPORT_INTERVAL_MS, (err) => this.#log(`journal import: ${String(err)}`));
  }

  /** After a restart: adopt targets that still run, restart the others, resume their traffic's timers and checks. */
  async #recover(snapshot: AgentSnapshot | undefined): Promise<void> {
    if (!snapshot) return;
    for (const record of snapshot.targets) {
      // A container target whose engine does not answer stays recorded as it was; the next agent tries again.
      await this.#runtimes
        .for(record.spec)
        .adopt(record)
        .catch((err: unknown) => this.#log(`could not adopt ${record.spec.id}: ${String(err)}`));
    }
    await moveLegacyRoutes(snapshot, this.#routes, (id) => this.#runtimes.get(id)).catch((err: unknown) =>
      this.#log(`could not hand the saved routes to the router: ${String(err)}`),
    );
    if (snapshot.metricsPort)
      await this.#ensureMetricsServer(snapshot.metricsPort).catch((err: unknown) => this.#log(String(err)));
    await this.#routes
      .routes({})
      .then(({ routes }) => this.#traffic.resume(routes))
      .catch((err: unknown) =>
        this.#log(`could not read the routes to watch their targets' health: ${String(err)}`),
      );
    void this.#snapshot.request();
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
    // First: a target stopped below must not be reported unhealthy on its way out. A check in progress ends
    // within its timeout; it is waited for last, not before the targets.
    const healthWatchStopped = this.#traffic.stopWatching();
    this.#import?.stop();
    this.#sampler?.stop();
    await this.#cron?.stop();
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
    await healthWatchStopped;
  }

  #toSnapshot(): AgentSnapshot {
    return {
      version: 1,
      metricsPort: this.#metrics?.port ?? null,
      targets: this.#runtimes.list(),
      ...(this.#import ? { imported: this.#import.offsets } : {}),
    };
  }

  #event(
    kind: string,
    app: string,
    targetId: string | null,
    release: string | null,
    message: string,
    data?: Record<string, unknown>,
  ): void {
    this.#journal.note(this.clock.nowMs(), { kind, app, targetId, release, message }, data);
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

      installRelease: (params) => installRelease(this.paths.releases, params),
      hasImage: hasReleaseImage,
      checkRegistryLogin: async ({ socket, credentials }) => {
        await checkRegistryLogin(socket, credentials);
        return { ok: true };
      },
      startTarget: (spec) =>
        startTarget(
          { runtimes: this.#runtimes, releasesDir: this.paths.releases, routes: this.#routes },
          spec,
        ),
      waitHealthy: async ({ id, timeoutMs }) => {
        const outcome = await waitTargetHealthy(this.#runtimes, this.#traffic.target(id), timeoutMs);
        void this.#snapshot.request();
        return outcome;
      },

      waitWorker: async ({ id, check, acceptHealthy }) => {
        const target = this.#traffic.target(id);
        if (acceptHealthy && target.state === 'running' && target.health === 'healthy')
          return { healthy: true, tookMs: 0 };
        const outcome = await waitWorkerHealthy(this.#runtimes, target, check, this.clock);
        void this.#snapshot.request();
        return outcome;
      },
      stopTarget: async ({ id, drainTimeoutMs }) => ({
        stopped: await this.#traffic.stop(id, drainTimeoutMs),
      }),
      // Through a promise: a handler must reject, not throw (the control server would not answer).
      retireTarget: ({ id, afterMs }) => Promise.resolve().then(() => this.#traffic.retireAfter(id, afterMs)),

      ensureRoute: async ({ app, publicPort, bindAddress, metricsPort, frontDoor }) => {
        if (metricsPort) await this.#ensureMetricsServer(metricsPort);
        return this.#routes.ensureRoute({ app, publicPort, bindAddress, frontDoor: frontDoor ?? null });
      },

      switchRoute: (params) => this.#traffic.switchRoute(params),
      setWeight: (params) => this.#traffic.setWeight(params),

      ensureEdge: (params) => this.#routes.ensureEdge(params),
      setEdgeMember: (params) => this.#routes.setEdgeMember(params),
      renewCertificate: (params) => this.#routes.renewCertificate(params),
      acmeChallenge: (params) => this.#routes.acmeChallenge(params),
      setMaintenance: (params) => this.#routes.setMaintenance(params),
      metrics: (params) => this.#routes.metrics(params),

      monitor: async ({ afterMs, sampleIntervalMs, logScan }) => {
        const sampler = this.#sampler as MonitorSampler;
        if (sampleIntervalMs) sampler.setInterval(sampleIntervalMs);
        const scan = await scanAppLogs(this.paths.logs, this.#runtimes, logScan);
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

      logs: async ({ app, targetId, lines, follow, process }, ctx) => {
        const ids = targetId
          ? [targetId]
          : defaultLogTargets(app, (await this.#routes.routes({})).routes, this.#runtimes, process);
        await streamTargetLogs(this.#runtimes, ids, { lines, follow }, ctx);
        return { ended: true as const };
      },

      runOnce: (params, ctx) => runOnce(this.paths.releases, params, ctx),
      archiveShared: (params) => archiveShared(this.paths.releases, params),
      restoreShared: (params) => restoreShared(this.paths.releases, params),
      setSchedule: (params) => (this.#cron as CronScheduler).set(params),
      cronLogs: (params) => cronLogsOf(params, this.paths.logs, this.#routes, this.#runtimes),

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
}
