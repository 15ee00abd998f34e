import { monitoringOf } from '../config/config-values.js';
import { parseDurationMs } from '../core/duration.js';
import { environmentConfig } from '../config/environment-config.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { NewLedgerEvent } from '../store/index.js';
import { runAccessProbe, type ProbeResult } from './access-probe.js';
import { evaluateIncident, type IncidentState } from './evaluate-incident.js';
import { deriveProbeUrl } from './probe-url.js';

export type LedgerWriter = (
  e: Omit<NewLedgerEvent, 'atMs' | 'actor' | 'app' | 'environment'>,
) => Promise<void>;

/**
 * Probes the environment's public address once, stores the result as samples (`probe.up`, `probe.latency`),
 * and moves the access incident (failures in a row open it, a success resolves it; one ledger event each).
 */
export async function probeEnvironment(
  cp: ControlPlane,
  environment: string,
  ledger: LedgerWriter,
): Promise<{ probe: ProbeResult; state: IncidentState }> {
  const env = environmentConfig(cp.config, environment);
  const m = monitoringOf(env);
  const app = cp.config.app;
  const ms = (d: string): number => parseDurationMs(d) ?? 0;
  const probe = await runAccessProbe(
    {
      url: deriveProbeUrl(env),
      timeoutMs: ms(m.probe.timeout),
      expectStatus: m.probe.expectStatus ?? [],
      tlsMinValidityMs: ms(m.probe.tlsMinValidity),
    },
    () => cp.clock.nowMs(),
  );
  const now = cp.clock.nowMs();
  const record = (await cp.store.listMonitorStates(app, environment)).find((s) => s.key === 'probe');
  const previous = (record?.data as IncidentState | undefined) ?? { open: false, failures: 0, sinceMs: now };
  const step = evaluateIncident(previous, probe.ok, m.probe.failures, now);
  const sample = { app, environment, host: 'probe', subject: '', resolution: 'raw' as const, atMs: now };
  await cp.store.insertSamples([
    { ...sample, metric: 'probe.up', value: probe.ok ? 1 : 0 },
    ...(probe.latencyMs === null ? [] : [{ ...sample, metric: 'probe.latency', value: probe.latencyMs }]),
  ]);
  if (step.transition === 'opened')
    await ledger({
      kind: 'incident.opened',
      message: `${probe.url} does not answer as expected: ${probe.error ?? 'failed'} (${step.state.failures} probes in a row)`,
      data: { incident: 'access-probe', probe },
    });
  if (step.transition === 'resolved')
    await ledger({
      kind: 'incident.resolved',
      message: `${probe.url} answers again (${probe.status}, ${probe.latencyMs}ms)`,
      data: { incident: 'access-probe', probe },
    });
  await cp.store.putMonitorState({
    app,
    environment,
    key: 'probe',
    state: step.state.open ? 'open' : 'ok',
    sinceMs: step.state.sinceMs,
    updatedAtMs: now,
    data: step.state,
  });
  return { probe, state: step.state };
}
