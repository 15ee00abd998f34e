import type { LogStream } from '../agent/log-files.js';
import type { TargetRecord } from './target-record.js';
import type { TargetSpec } from '../agent/protocol.js';

export type RuntimeKind = 'process' | 'docker';

export interface LogLine {
  stream: LogStream;
  line: string;
}

/**
 * How the agent runs targets on its host. The agent chooses a port and (for processes) a release directory,
 * then leaves the rest to the runtime: starting, restarting after a crash (backoff from the spec), stopping,
 * adopting what still runs after the agent itself restarted, logs and cleanup. Two implementations:
 * `ProcessRuntime` (detached process groups, in agent/ beside the Supervisor it wraps) and `DockerRuntime`
 * (containers through the host's Docker Engine).
 * Both keep the same `TargetRecord`, so the agent's state file and protocol do not care which one runs a target.
 */
export interface Runtime {
  readonly kind: RuntimeKind;
  /** Starts a new target listening on `port` (published on the host's loopback for containers). */
  start(spec: TargetSpec, releaseDir: string, port: number): Promise<TargetRecord>;
  /** After an agent restart: take over a target that still runs, or start it again. */
  adopt(record: TargetRecord): Promise<void>;
  get(id: string): TargetRecord | undefined;
  list(): TargetRecord[];
  /** Synchronous, from what the runtime last saw: used by health checks to fail fast on a dead target. */
  isAlive(id: string): { alive: boolean; reason?: string };
  /** Stops a target (SIGTERM, then SIGKILL after its stop timeout) and removes what it leaves behind. */
  stop(id: string): Promise<boolean>;
  /** The last lines of the target's stderr, secrets redacted. */
  stderrTail(id: string, lines?: number): Promise<string>;
  /** The last `lines` lines of each of the target's streams (stdout first). */
  readLogs(id: string, lines: number): Promise<LogLine[]>;
  /** Calls onLine for each new line until the signal aborts. */
  followLogs(id: string, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void>;
  /**
   * Removes what old releases of an app left on the host beyond the `keep` newest — release directories for
   * processes, images for containers — never one a target still uses. Returns what was removed.
   */
  prune(request: PruneRequest): Promise<string[]>;
  /** Stops timers and watches without touching the targets (the agent shuts down; targets live on). */
  detach(): void;
}

export interface PruneRequest {
  app: string;
  keep: number;
  /** Every target of the app on this host, of either runtime. */
  targets: readonly TargetRecord[];
  /** The Docker Engine to prune images from (container releases). */
  dockerSocket?: string;
}
