/**
 * The record every runtime keeps of a target (process or container), what the agent snapshots to disk and
 * adopts after a restart, and the events a runtime reports about it. Below both the runtimes and the agent.
 */
import type { TargetSpec, TargetStatus } from '../agent/protocol.js';

/** What the agent persists about a target, enough to adopt or restart it after the agent itself restarts. */
export interface TargetRecord {
  spec: TargetSpec;
  releaseDir: string;
  port: number;
  pid: number | null;
  pidStartTicks: number | null;
  state: TargetStatus['state'];
  health: TargetStatus['health'];
  restarts: number;
  startedAtMs: number;
  lastExit: TargetStatus['lastExit'];
  stopAtMs: number | null;
  backoffMs: number;
  /** Set by the docker runtime: the target's container. */
  containerId?: string | null;
}

/** What a runtime saw happen to one of its targets (the agent journals it). */
export interface SupervisorEvent {
  kind: 'target.started' | 'target.exited' | 'target.restarted' | 'target.stopped' | 'target.adopted';
  targetId: string;
  app: string;
  release: string;
  message: string;
  data?: Record<string, unknown>;
}

/**
 * What a target is told about itself: its PORT (a worker process has none: it gets no requests, so a worker that
 * listens on $PORT by mistake fails loudly), its app, release and id, and a worker's process and instance.
 */
export function targetIdentityEnv(spec: TargetSpec, port: number): Record<string, string> {
  return {
    ...(spec.process ? {} : { PORT: String(port) }),
    SLIPWAY_APP: spec.app,
    SLIPWAY_RELEASE: spec.release,
    SLIPWAY_TARGET: spec.id,
    ...(spec.process
      ? { SLIPWAY_PROCESS: spec.process.name, SLIPWAY_INSTANCE: String(spec.process.instance) }
      : {}),
  };
}

/** A target that ran at least this long before crashing restarts with the initial backoff again. */
const STABLE_RUN_MS = 10_000;

/** A new target's record, as every runtime starts it: starting, no restarts, the initial backoff. */
export function newTargetRecord(
  spec: TargetSpec,
  releaseDir: string,
  port: number,
  nowMs: number,
): TargetRecord {
  return {
    spec,
    releaseDir,
    port,
    pid: null,
    pidStartTicks: null,
    state: 'starting',
    health: 'unknown',
    restarts: 0,
    startedAtMs: nowMs,
    lastExit: null,
    stopAtMs: null,
    backoffMs: spec.restart.initialBackoffMs,
  };
}

/**
 * Marks a target as crashed and returns how long to wait before its restart: the backoff doubles up to the
 * maximum, and starts over once a run lasted long enough to count as stable.
 */
export function recordCrash(
  record: TargetRecord,
  exit: { code: number | null; signal: string | null },
  nowMs: number,
): number {
  record.lastExit = { code: exit.code, signal: exit.signal, atMs: nowMs };
  record.pid = null;
  record.state = 'backoff';
  record.health = 'unknown';
  if (nowMs - record.startedAtMs >= STABLE_RUN_MS) record.backoffMs = record.spec.restart.initialBackoffMs;
  const delay = record.backoffMs;
  record.backoffMs = Math.min(record.backoffMs * 2, record.spec.restart.maxBackoffMs);
  return delay;
}

/** What a runtime reports about one of its targets (journaled by the agent). */
export function targetEvent(
  record: TargetRecord,
  kind: SupervisorEvent['kind'],
  message: string,
  data?: Record<string, unknown>,
): SupervisorEvent {
  return {
    kind,
    targetId: record.spec.id,
    app: record.spec.app,
    release: record.spec.release,
    message,
    data,
  };
}
