import type { HostReading } from './host-metrics.js';
import type { Recent5xx, TargetState } from './protocol.js';

/** One target as the agent saw it at a sample. */
export interface TargetReading {
  id: string;
  app: string;
  release: string;
  state: TargetState;
  /** Restarts since the target was started (crashes the supervisor recovered from). */
  restarts: number;
  /** Resident memory of the target's process group; null while it is not running. */
  rssBytes: number | null;
  /** Time since the current process started; null while it is not running. */
  uptimeMs: number | null;
  /** Set when the target exited during this sample's interval: how, and the last lines of its stderr. */
  exit: { code: number | null; signal: string | null; atMs: number; stderrTail: string } | null;
}

/** Router traffic of one release on this host during one sample's interval (not cumulative). */
export interface ReleaseTraffic {
  app: string;
  release: string;
  /** Requests and 5xx answers per second over the interval. */
  requestsPerSec: number;
  errorsPerSec: number;
  requests: number;
  errors5xx: number;
  /** Latency quantiles over the interval (ms); null without requests. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** 5xx answers of the interval, newest last (at most a few). */
  recent5xx: Recent5xx[];
}

/** What the agent measured at one moment. Taken by the agent on its own clock, kept in a ring. */
export interface MonitorSample {
  atMs: number;
  /** Length of the interval the rates and the CPU share cover. */
  intervalMs: number;
  host: HostReading;
  /** Network throughput over the interval (all interfaces but lo); null on the first sample. */
  net: { rxBytesPerSec: number; txBytesPerSec: number } | null;
  targets: TargetReading[];
  traffic: ReleaseTraffic[];
}

export interface LogMatch {
  targetId: string;
  release: string;
  stream: 'out' | 'err';
  line: string;
  pattern: string;
}

export interface MonitorMethod {
  params: {
    /** Samples taken after this time (the collector's cursor for this host; 0 for everything kept). */
    afterMs: number;
    /** How often the agent samples (it keeps sampling at this rate until told otherwise). */
    sampleIntervalMs?: number;
    /** Log lines (stdout and stderr of the app's targets) matching any of these regular expressions. */
    logScan?: { app: string; patterns: string[]; offsets: Record<string, number> };
  };
  result: {
    nowMs: number;
    samples: MonitorSample[];
    /** True when the ring had already dropped samples after `afterMs` (the collector was away too long). */
    truncated: boolean;
    logMatches: LogMatch[];
    /** Where the next scan starts, per `<targetId>.<stream>` log file. */
    logOffsets: Record<string, number>;
  };
}
