import type { MonitorStateRecord, Store } from '../store/index.js';

export interface MonitorStatus {
  /** Alert rules that are firing or pending, as of the last monitoring round. */
  alerts: Array<{
    name: string;
    phase: string;
    sinceMs: number;
    value: number | null;
    severity: string | null;
  }>;
  /** Open incidents: the access probe failing, targets in a crash loop. */
  incidents: Array<{ key: string; sinceMs: number }>;
  /** When `slipway monitor` last ran a round for the environment (null: never). */
  lastRoundAtMs: number | null;
}

/** What the last monitoring rounds left in the store for an environment, for `slipway status`. */
export async function loadMonitorStatus(
  store: Store,
  app: string,
  environment: string,
): Promise<MonitorStatus> {
  return deriveMonitorStatus(await store.listMonitorStates(app, environment));
}

export function deriveMonitorStatus(states: readonly MonitorStateRecord[]): MonitorStatus {
  const alerts = states
    .filter((s) => s.key.startsWith('alert:') && (s.state === 'firing' || s.state === 'pending'))
    .map((s) => {
      const data = (s.data ?? {}) as { value?: number | null; severity?: string };
      return {
        name: s.key.slice('alert:'.length),
        phase: s.state,
        sinceMs: s.sinceMs,
        value: data.value ?? null,
        severity: data.severity ?? null,
      };
    });
  const incidents = states
    .filter(
      (s) =>
        (s.key === 'probe' && s.state === 'open') ||
        (s.key.startsWith('crash-loop:') && s.state === 'looping'),
    )
    .map((s) => ({ key: s.key, sinceMs: s.sinceMs }));
  const rounds = states.filter(
    (s) => s.key.startsWith('alert:') || s.key.startsWith('cursor:') || s.key === 'probe',
  );
  const lastRoundAtMs = rounds.length > 0 ? Math.max(...rounds.map((s) => s.updatedAtMs)) : null;
  return { alerts, incidents, lastRoundAtMs };
}
