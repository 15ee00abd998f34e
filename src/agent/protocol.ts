/**
 * The agent's control protocol: JSON lines over a stream (the agent's unix socket locally; the same socket
 * bridged through an SSH exec for remote hosts). One request per line: `{ id, method, params }`.
 * Answers: `{ id, result }` or `{ id, error: { code, message, hint? } }`; a streaming method (logs --follow)
 * sends `{ id, event }` lines before its final `{ id, result }`.
 */
import type { Trip, TripwireSpec } from '../analysis/tripwire.js';
import type { LatencyHistogram } from '../core/latency-histogram.js';
import type { MonitorMethod } from './monitor-protocol.js';
import type { RunOnceMethod } from './run-once.js';
import type { ArchiveSharedMethod, RestoreSharedMethod } from './shared-archive.js';
import type { WaitWorkerMethod, WorkerIdentity } from './worker-protocol.js';
import type { MaintenanceStatus, SetMaintenanceMethod } from './maintenance-method.js';
import type { CronLogsMethod, SetScheduleMethod } from './cron-protocol.js';
import type { FrontDoorCertificateStatus } from './certificate-facts.js';
import type { RouterMethods } from './routes/route-protocol.js';
import type { InstallReleaseParams, RegistryCredentials } from './image-protocol.js';
import type { EdgeFailoverSpec, EdgeUpstream, PoolMemberStatus } from './edge-protocol.js';
import type { RouteGroupStatus, SwitchGroupParams, SwitchGroupResult } from './group-protocol.js';

export type { ImageSpec } from './image-protocol.js';
export type { WorkerIdentity } from './worker-protocol.js';
export { edgeRouteKey } from './edge-protocol.js';
export type {
  EdgeFailoverSpec,
  EdgeUpstream,
  EjectionCause,
  MemberEjection,
  PoolMemberStatus,
} from './edge-protocol.js';

export const AGENT_PROTOCOL_VERSION = 1;

export interface HealthCheckSpec {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface TargetSpec {
  id: string;
  app: string;
  release: string;
  /** Shell command run through `sh -c` in the release directory. */
  command: string;
  env: Record<string, string>;
  /** Secret values; kept out of every answer and log the agent writes. */
  secretEnv: Record<string, string>;
  stopTimeoutMs: number;
  healthCheck: HealthCheckSpec;
  restart: { initialBackoffMs: number; maxBackoffMs: number };
  /** Present when the target runs as a container (`runtime: docker`); absent for a process. */
  container?: ContainerSpec;
  /** A worker process's instance: no port, no PORT, never routed. Absent: the web process. */
  process?: WorkerIdentity;
}

/** How a target runs as a container: the command above runs through `/bin/sh -c` in the image. */
export interface ContainerSpec {
  /** Image id (`sha256:…`) of the release. */
  image: string;
  /** The Docker Engine's unix socket on the host. */
  socket: string;
  environment: string;
  /** Memory limit in bytes; null for none. */
  memoryBytes: number | null;
  /** CPU limit (1.5 = one and a half cores); null for none. */
  cpus: number | null;
  /** Named volumes of the environment, name → mount path (`runtime.volumes`); absent: none. */
  volumes?: Record<string, string>;
}

export type TargetState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped';
export type TargetHealth = 'unknown' | 'healthy' | 'unhealthy';

export interface TargetStatus {
  id: string;
  app: string;
  release: string;
  port: number;
  pid: number | null;
  state: TargetState;
  health: TargetHealth;
  restarts: number;
  startedAtMs: number;
  lastExit: { code: number | null; signal: string | null; atMs: number } | null;
  /** When a warm target will be stopped (keep-warm); null when not scheduled. */
  stopAtMs: number | null;
  /** The container's id when the target runs as a container. */
  containerId?: string | null;
  /** A worker process's instance (its `port` is 0). Absent: the web process, and on older agents. */
  process?: WorkerIdentity;
}

/** A route on the host's front door: its names, path prefix, the door's ports, and its certificates (PEM). */
export interface FrontDoorRouteSpec {
  names: string[];
  pathPrefix: string;
  httpPort: number;
  httpsPort: number;
  bindAddress: string;
  /** PEM chain and key of each certificate (read on the control plane); written 0600 in the agent's home. */
  certificates: Array<{ cert: string; key: string }>;
  /**
   * Certificates obtained by the router process from an ACME CA instead (then `certificates` is empty): kept in
   * its home and renewed there. Absent from older control planes.
   */
  acme?: FrontDoorAcmeSpec | null;
  /** Plain-HTTP requests for a covered name are redirected to HTTPS (default true). */
  redirect?: boolean;
  /** Strict-Transport-Security on the route's HTTPS answers; null or absent: none. */
  hsts?: { maxAgeS: number; includeSubDomains: boolean; preload: boolean } | null;
}

/** An ACME CA as the router process uses it: where, whose account, and what to trust for its HTTPS. */
export interface FrontDoorAcmeSpec {
  directoryUrl: string;
  email?: string;
  /** PEM certificates to trust for the directory's HTTPS (a private CA), read on the control plane. */
  caBundle?: string;
  /** Obtained by the control plane for a fleet without an edge and sent in `certificates`: the router process
   * serves it as files and never orders or renews it itself (none yet: its names are served over plain HTTP). */
  shared?: boolean;
}

export interface RouteStatus extends RouteGroupStatus {
  /** The app's name; for an edge, its route key (`edgeRouteKey(app)`), which `metrics` also accepts. */
  app: string;
  publicPort: number;
  bindAddress: string;
  active: string | null;
  draining: string[];
  /** A canary split: `weight` percent of users go to `canary`. */
  split: { canary: string; weight: number } | null;
  /** Maintenance mode, when on (absent: off, and from older agents). */
  maintenance?: MaintenanceStatus | null;
  /** An edge's upstreams (the app hosts' routers); null for an app's own router. */
  pool: PoolMemberStatus[] | null;
  /** The route's front door (absent when it has none, and from older agents). */
  frontDoor?: {
    names: string[];
    pathPrefix: string;
    httpPort: number;
    httpsPort: number;
    /** Each certificate it serves the route's names with, read from the host's copy (first version: a count). */
    certificates: FrontDoorCertificateStatus[];
    /** The host obtains the certificates itself (`tls.acme`); absent from older agents. */
    acme?: boolean;
  };
}

export interface ReleaseStatus {
  app: string;
  version: string;
  sha256: string;
  dir: string;
}

export interface AgentState {
  agentVersion: string;
  protocol: number;
  pid: number;
  startedAtMs: number;
  targets: TargetStatus[];
  routes: RouteStatus[];
  releases: ReleaseStatus[];
  /**
   * Who restarts the agent and the router process when they die: "the keeper", "systemd (…) and the keeper", or
   * null when nothing does (an agent started alone, which then serves the routes itself). Absent on older agents.
   */
  supervisor?: string | null;
  /** The router process that owns the public ports; null when the agent serves them itself. */
  routerPid?: number | null;
}

/** A canary whose router tripwire ended its split: when, and the evidence. */
export interface CanaryTripReport {
  canaryTargetId: string;
  release: string;
  atMs: number;
  condition: Trip['condition'];
  detail: string;
  measurements: Record<string, number>;
}

export interface TargetMetrics {
  targetId: string;
  release: string;
  requests: number;
  errors5xx: number;
  /** Requests that failed inside the router (target unreachable, reset): answered 502 to the client. */
  proxyErrors: number;
  inFlight: number;
  latency: LatencyHistogram;
  /** The last few 5xx answers (method, path without query, status, time): samples for error reports. */
  recent5xx?: Recent5xx[];
}

export interface Recent5xx {
  atMs: number;
  method: string;
  path: string;
  status: number;
}

export interface HealthOutcome {
  healthy: boolean;
  /** Why it is not healthy: the last check's failure, or the target's exit with its stderr tail. */
  reason?: string;
  checks: number;
}

/** Something the agent saw on its own (a crash, a restart, a retire); the control plane copies these into the ledger. */
export interface AgentEvent {
  seq: number;
  atMs: number;
  kind: string;
  app: string;
  targetId: string | null;
  release: string | null;
  message: string;
  data?: Record<string, unknown>;
}

export interface AgentMethods {
  ping: { params: Record<string, never>; result: { agentVersion: string; protocol: number; pid: number } };
  state: { params: Record<string, never>; result: AgentState };
  installRelease: {
    params: InstallReleaseParams;
    result: ReleaseStatus & { alreadyInstalled: boolean };
  };
  /** Whether the host's Docker Engine has the image (so its archive need not be uploaded). */
  hasImage: { params: { socket: string; id: string }; result: { present: boolean } };
  /** Logs in to a registry through the host's engine (`slipway check`); nothing is stored. Newer agents only. */
  checkRegistryLogin: { params: { socket: string; credentials: RegistryCredentials }; result: { ok: true } };
  startTarget: { params: TargetSpec; result: TargetStatus & { alreadyRunning: boolean } };
  waitHealthy: { params: { id: string; timeoutMs: number }; result: HealthOutcome };
  waitWorker: WaitWorkerMethod;
  stopTarget: { params: { id: string; drainTimeoutMs: number }; result: { stopped: boolean } };
  retireTarget: { params: { id: string; afterMs: number }; result: { stopAtMs: number } };
  /**
   * Opens the route's router on `publicPort` (idempotent). `app` is the route's key (`routeKeyOf`: the app, or
   * `<app>@<environment>` for an environment with domains). With `frontDoor` the same router is also attached to
   * the host's front door for those names; without it (or null) it is detached from any front door.
   */
  ensureRoute: {
    params: {
      app: string;
      publicPort: number;
      bindAddress: string;
      metricsPort?: number | null;
      frontDoor?: FrontDoorRouteSpec | null;
    };
    result: RouteStatus & { created: boolean };
  };
  switchRoute: {
    params: { app: string; targetId: string; drainTimeoutMs: number } & SwitchGroupParams;
    result: { previous: string | null; switchedAtMs: number } & SwitchGroupResult;
  };
  /**
   * Gives the canary `weight` percent of users. With `tripwire`, the router ends the split by itself as soon as
   * the canary's responses are significantly bad (analysis/tripwire.ts); the trip is then reported by
   * `metrics`, and this canary gets no traffic again (`setWeight` above 0 and `switchRoute` to it are refused)
   * until it is started anew.
   */
  setWeight: {
    params: {
      app: string;
      canaryTargetId: string;
      weight: number;
      header: string;
      cookie: string;
      tripwire?: TripwireSpec | null;
    };
    result: { weight: number };
  };
  /**
   * Makes this host an edge of `app`: a router on `publicPort` that balances users over `upstreams` (the app
   * hosts' routers), health-checked with `healthCheck`, failing over as `failover` says. Idempotent; upstreams
   * not listed any more are drained (up to `drainTimeoutMs`, default 30 s) and removed; a disabled upstream stays
   * disabled. `app` is the app, or `<app>@<environment>` for an environment with domains (`edgeRouteKey`).
   * With `frontDoor` the same edge router is also attached to this host's front door for those names (the fleet
   * behind one name); without it (or null) it is taken off any front door.
   */
  ensureEdge: {
    params: {
      app: string;
      publicPort: number;
      bindAddress: string;
      healthCheck: HealthCheckSpec;
      upstreams: EdgeUpstream[];
      drainTimeoutMs?: number;
      /** Absent from older control planes: the defaults apply. */
      failover?: EdgeFailoverSpec;
      /** The environment's names on this host's front door (absent from older control planes: none). */
      frontDoor?: FrontDoorRouteSpec | null;
    };
    result: RouteStatus & { created: boolean };
  };
  /**
   * Takes an upstream out of the edge's rotation (`enabled: false`, answering once its in-flight requests have
   * finished or `drainTimeoutMs` passed) or puts it back.
   */
  setEdgeMember: {
    params: { app: string; id: string; enabled: boolean; drainTimeoutMs: number };
    /**
     * `inRotation` (put back): whether the edge sends it requests at the answer; the agent waits for the edge's
     * checks to let it in first (bounded). Absent on older agents.
     */
    result: { enabled: boolean; drained: boolean; inFlight: number; inRotation?: boolean };
  };
  /**
   * A new ACME certificate for the route `key` now, even while the stored one is good (with `revoke`, revoked at the
   * CA first), served for new handshakes at once. Unknown to older agents and router processes (UnknownMethod).
   */
  renewCertificate: RouterMethods['renewCertificate'];
  /** Sets (null: removes) an HTTP-01 answer every front door of the host serves (`acme.shared`). Newer agents only. */
  acmeChallenge: RouterMethods['acmeChallenge'];
  metrics: {
    params: { app: string };
    /** `trips`: canaries of the app that tripped their tripwire since they were started (absent on older agents). */
    result: { targets: TargetMetrics[]; trips?: CanaryTripReport[] };
  };
  /** Host and target samples taken by the agent since `afterMs`, and log lines matching patterns (monitoring). */
  monitor: MonitorMethod;
  runOnce: RunOnceMethod;
  archiveShared: ArchiveSharedMethod;
  restoreShared: RestoreSharedMethod;
  setMaintenance: SetMaintenanceMethod;
  setSchedule: SetScheduleMethod;
  cronLogs: CronLogsMethod;
  logs: {
    /** `process`: only that process's targets (`web`: the web process's); absent: all (older agents: all). */
    params: { app: string; targetId?: string; lines: number; follow: boolean; process?: string };
    result: { ended: true };
    /** `process`: the worker instance the line is from (absent: the web process, or a target no longer known). */
    event: { targetId: string; stream: 'out' | 'err'; line: string; process?: WorkerIdentity };
  };
  events: { params: { afterSeq: number }; result: { events: AgentEvent[] } };
  /** Removes old release directories and (with `dockerSocket`) old images of the app beyond `keep`. */
  pruneReleases: {
    params: { app: string; keep: number; dockerSocket?: string };
    result: { removed: string[] };
  };
  /**
   * The preflight's facts (src/hosts/preflight-facts.ts: the output of its script), read by the agent on its
   * host, so that a preflight of a host whose agent runs starts no command over SSH (no login shell).
   */
  preflightFacts: { params: { node: string; dfPaths: string[] }; result: { output: string } };
  shutdown: { params: { stopTargets: boolean }; result: { ok: true } };
}

export type AgentMethod = keyof AgentMethods;

export interface AgentRequestLine {
  id: number;
  method: AgentMethod;
  params: unknown;
}

export type AgentResponseLine =
  | { id: number; result: unknown }
  | { id: number; error: { code: string; message: string; hint?: string } }
  | { id: number; event: unknown };
