import { parseDurationMs } from '../core/duration.js';
import { DEFAULTS } from './defaults.js';
import type { EdgeConfig } from './edge-schema.js';
import type { HostConfig } from './host-schema.js';
import type { MonitoringConfig } from './monitor-schema.js';

// Pure readings of a validated config, without the schemas: what reads a config (status, rollback, the executor)
// imports these; only parsing slipway.yml needs zod and the schemas (src/config/parse-config.ts).

/** A host's name: `local`, or the `name` of an SSH host. */
export function hostName(host: HostConfig): string {
  return host === 'local' ? 'local' : host.name;
}

/** The roles of the hosts that have some, by host name (`local` has none). Pure. */
export function hostRolesOf(hosts: readonly HostConfig[]): Record<string, string[]> {
  return Object.fromEntries(
    hosts.flatMap((h) => (h !== 'local' && h.roles.length > 0 ? [[h.name, h.roles]] : [])),
  );
}

/** The edge's failover settings in milliseconds, as the agent's `ensureEdge` takes them. Pure. */
export function resolveEdgeFailover(edge: EdgeConfig): {
  connectTimeoutMs: number;
  answerTimeoutMinMs: number;
  answerTimeoutMaxMs: number;
  retryBudget: number;
  ejectAfter: number;
} {
  const ms = (text: string): number => parseDurationMs(text) ?? 0;
  return {
    connectTimeoutMs: ms(edge.connectTimeout),
    answerTimeoutMinMs: ms(edge.answerTimeout.min),
    answerTimeoutMaxMs: ms(edge.answerTimeout.max),
    retryBudget: edge.retryBudget,
    ejectAfter: edge.ejectAfter,
  };
}

/** An environment's monitoring settings, with every default when the key is left out (a test keeps these equal to the schema's defaults). */
export function monitoringOf(env: { monitoring?: MonitoringConfig | undefined }): MonitoringConfig {
  if (env.monitoring) return env.monitoring;
  const M = DEFAULTS.monitoring;
  return {
    interval: M.interval,
    sampleInterval: M.sampleInterval,
    window: M.window,
    youngFor: M.youngFor,
    probe: { ...M.probe },
    errorPatterns: [],
    crashLoop: { ...M.crashLoop },
    errorBurst: { ...M.errorBurst },
    retention: { ...M.retention },
    alerts: [],
  };
}

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "512m", "1g", "256k" or a byte count → bytes. Pure. */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg])?$/i.exec(text.trim());
  if (!match?.[1]) return undefined;
  return Math.round(Number(match[1]) * (UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1));
}
