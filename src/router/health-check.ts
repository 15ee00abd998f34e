import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { HealthCheckSpec, HealthOutcome } from '../agent/protocol.js';
import { formatDurationMs } from '../core/duration.js';

export interface HealthCheckResult {
  ok: boolean;
  status?: number;
  /** Why the check failed, in words for the deploy log. */
  error?: string;
}

interface CheckOptions {
  path: string;
  timeoutMs: number;
  /** Where the target listens: loopback for targets on this host, another host's address for an edge. */
  host?: string;
}

/**
 * One GET to http://<host>:<port><path> (host 127.0.0.1 unless told) on a fresh connection; 2xx and 3xx answers
 * count as healthy.
 */
export async function checkHealthOnce(port: number, opts: CheckOptions): Promise<HealthCheckResult> {
  const { timedOut: _, ...result } = await runCheck(port, opts);
  return result;
}

function runCheck(port: number, opts: CheckOptions): Promise<HealthCheckResult & { timedOut: boolean }> {
  let timedOut = false;
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve) => {
    const req = request(
      {
        host,
        port,
        path: opts.path,
        method: 'GET',
        agent: false,
        headers: { 'user-agent': 'slipway-health-check', connection: 'close' },
      },
      (res) => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        // The status is all a check needs; a health endpoint that streams must not keep the socket open.
        res.destroy();
        if (status >= 200 && status < 400) resolve({ ok: true, status, timedOut });
        else resolve({ ok: false, status, error: `GET ${opts.path} answered ${status}`, timedOut });
      },
    );
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error(`GET ${opts.path} got no answer within ${formatDurationMs(opts.timeoutMs)}`));
    }, opts.timeoutMs);
    req.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, error: describeCheckError(err, host, port), timedOut });
    });
    req.end();
  });
}

export interface WaitUntilHealthyOptions {
  port: number;
  spec: HealthCheckSpec;
  /** Gives up after this long. */
  timeoutMs: number;
  /** Whether the target's process still runs; a dead process ends the wait at once with its reason. */
  probeAlive: () => { alive: boolean; reason?: string };
  signal?: AbortSignal;
}

/**
 * Polls the health endpoint every `intervalMs` until `healthyThreshold` checks in a row pass. Ends early when
 * the process dies; on timeout the reason is the last failed check. Cancelling through `signal` ends the wait
 * with healthy=false (reason "cancelled").
 */
export async function waitUntilHealthy(opts: WaitUntilHealthyOptions): Promise<HealthOutcome> {
  const { spec } = opts;
  const deadline = performance.now() + opts.timeoutMs;
  let checks = 0;
  let passes = 0;
  let lastFailure = 'no check could run';
  for (;;) {
    if (opts.signal?.aborted) return { healthy: false, reason: 'cancelled', checks };
    const dead = deathOf(opts.probeAlive);
    if (dead !== null) return { healthy: false, reason: dead, checks };
    const remainingMs = deadline - performance.now();
    if (remainingMs <= 0) break;

    const checkTimeoutMs = Math.min(spec.timeoutMs, remainingMs);
    const result = await runCheck(opts.port, { path: spec.path, timeoutMs: checkTimeoutMs });
    checks++;
    if (result.ok) {
      if (++passes >= spec.healthyThreshold) return { healthy: true, checks };
    } else {
      passes = 0;
      // A check cut short by the deadline says less than the full check before it.
      const cutShort = result.timedOut && checkTimeoutMs < spec.timeoutMs;
      if (!cutShort || checks === 1) lastFailure = result.error ?? 'check failed';
      // A refused connection right after the process died says less than the exit itself.
      const diedMeanwhile = deathOf(opts.probeAlive);
      if (diedMeanwhile !== null) return { healthy: false, reason: diedMeanwhile, checks };
    }
    const pauseMs = Math.min(spec.intervalMs, deadline - performance.now());
    if (pauseMs > 0) await pause(pauseMs, opts.signal);
  }
  return {
    healthy: false,
    reason: `not healthy within ${formatDurationMs(opts.timeoutMs)}; last check: ${lastFailure}`,
    checks,
  };
}

function deathOf(probeAlive: WaitUntilHealthyOptions['probeAlive']): string | null {
  const probe = probeAlive();
  return probe.alive ? null : (probe.reason ?? 'the target process is not running');
}

/** Waits `ms`, or less when the signal aborts (no rejection: the caller looks at the signal). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function describeCheckError(err: NodeJS.ErrnoException, host: string, port: number): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `nothing listens on ${host}:${port} (connection refused)`;
    case 'ECONNRESET':
      return `${host}:${port} closed the connection before answering`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${host} cannot be reached (${err.code})`;
    default:
      return err.code ? `${err.message} (${err.code})` : err.message;
  }
}

/** Whether two health checks are the same check (a watch or a pool keeps its counts only then). */
export function sameHealthCheck(a: HealthCheckSpec, b: HealthCheckSpec): boolean {
  return (
    a.path === b.path &&
    a.intervalMs === b.intervalMs &&
    a.timeoutMs === b.timeoutMs &&
    a.healthyThreshold === b.healthyThreshold &&
    a.unhealthyThreshold === b.unhealthyThreshold
  );
}
