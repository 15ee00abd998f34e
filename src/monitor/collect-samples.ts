import type { LogMatch, MonitorSample } from '../agent/monitor-protocol.js';
import type { Host } from '../hosts/host.js';
import type { Store } from '../store/index.js';

export interface HostBatch {
  host: string;
  ok: boolean;
  error: string | null;
  samples: MonitorSample[];
  truncated: boolean;
  logMatches: LogMatch[];
  /** The agent's clock when it answered. */
  atMs: number;
}

interface Cursor {
  afterMs: number;
  logOffsets: Record<string, number>;
}

export interface CollectOptions {
  app: string;
  environment: string;
  sampleIntervalMs: number;
  errorPatterns: string[];
  timeoutMs: number;
  /** False when the host's agent must not be disturbed (a stopped local agent is not started by a monitor). */
  reachable?: (host: Host) => Promise<boolean>;
}

/**
 * Asks every host's agent for the samples it took since the last collection (a cursor per host in the store),
 * all hosts at once. A host that does not answer in time yields nothing this round and keeps its cursor, so
 * the next round fetches what its agent sampled meanwhile; what was never sampled stays a gap.
 */
export async function collectSamples(
  store: Store,
  hosts: readonly Host[],
  o: CollectOptions,
): Promise<HostBatch[]> {
  const states = await store.listMonitorStates(o.app, o.environment);
  return Promise.all(
    hosts.map(async (host): Promise<HostBatch> => {
      const key = `cursor:${host.name}`;
      const cursor = (states.find((s) => s.key === key)?.data as Cursor | undefined) ?? {
        afterMs: 0,
        logOffsets: {},
      };
      const empty = { host: host.name, samples: [], truncated: false, logMatches: [], atMs: 0 };
      try {
        if (o.reachable && !(await o.reachable(host)))
          return { ...empty, ok: false, error: 'the agent does not answer' };
        const answer = await withTimeout(
          (async () =>
            (await host.agent()).call('monitor', {
              afterMs: cursor.afterMs,
              sampleIntervalMs: o.sampleIntervalMs,
              ...(o.errorPatterns.length > 0
                ? { logScan: { app: o.app, patterns: o.errorPatterns, offsets: cursor.logOffsets } }
                : {}),
            }))(),
          o.timeoutMs,
          `no answer from the agent on ${host.name} within ${o.timeoutMs}ms`,
        );
        const last = answer.samples.at(-1);
        const next: Cursor = { afterMs: last?.atMs ?? cursor.afterMs, logOffsets: answer.logOffsets };
        // A new agent (restarted, its clock's samples start over) answers samples older than our cursor: none.
        await store.putMonitorState({
          app: o.app,
          environment: o.environment,
          key,
          state: 'ok',
          sinceMs: answer.nowMs,
          updatedAtMs: answer.nowMs,
          data: next,
        });
        return {
          host: host.name,
          ok: true,
          error: null,
          samples: answer.samples,
          truncated: answer.truncated,
          logMatches: answer.logMatches,
          atMs: answer.nowMs,
        };
      } catch (err) {
        return { ...empty, ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  promise.catch(() => undefined); // a late failure after the timeout is not unhandled
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
