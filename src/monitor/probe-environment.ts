import { monitoringOf } from '../config/config-values.js';
import { parseDurationMs } from '../core/duration.js';
import { environmentConfig } from '../config/environment-config.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { NewLedgerEvent } from '../store/index.js';
import { loadTrustedCas } from '../verify/endpoint.js';
import { describeProbeTarget, runAccessProbe, type ProbeResult, type ProbeSpec } from './access-probe.js';
import { evaluateIncident, type IncidentState } from './evaluate-incident.js';
import { deriveProbeTarget, type ProbeTarget } from './probe-target.js';

export type LedgerWriter = (
  e: Omit<NewLedgerEvent, 'atMs' | 'actor' | 'app' | 'environment'>,
) => Promise<void>;

/**
 * Probes the environment's public address once (by name on its front door when it has `domains`: probe-target.ts),
 * stores the result as samples (`probe.up`, `probe.latency`), and moves the access incident (failures in a row open
 * it, a success resolves it; one ledger event each).
 */
export async function probeEnvironment(
  cp: ControlPlane,
  environment: string,
  ledger: LedgerWriter,
): Promise<{ probe: ProbeResult; state: IncidentState; target: ProbeTarget }> {
  const env = environmentConfig(cp.config, environment);
  const m = monitoringOf(env);
  const app = cp.config.app;
  const ms = (d: string): number => parseDurationMs(d) ?? 0;
  const target = deriveProbeTarget(env, cp.projectDir ?? process.cwd());
  const probe = await probeTarget(
    {
      url: target.url,
      connectTo: target.connectTo,
      timeoutMs: ms(m.probe.timeout),
      expectStatus: m.probe.expectStatus ?? [],
      tlsMinValidityMs: ms(m.probe.tlsMinValidity),
    },
    target.caFile,
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
      message: `${describeProbeTarget(probe)} does not answer as expected: ${probe.error ?? 'failed'} (${step.state.failures} probes in a row)`,
      data: { incident: 'access-probe', probe },
    });
  if (step.transition === 'resolved')
    await ledger({
      kind: 'incident.resolved',
      message: `${describeProbeTarget(probe)} answers again (${probe.status}, ${probe.latencyMs}ms)`,
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
  return { probe, state: step.state, target };
}

/** One probe trusting the CA file too; a file that cannot be read is a failed probe that says so, not a crash. */
async function probeTarget(
  spec: ProbeSpec,
  caFile: string | null,
  nowMs: () => number,
): Promise<ProbeResult> {
  let ca: string[] | null;
  try {
    ca = loadTrustedCas(caFile);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    return {
      url: spec.url,
      via: spec.connectTo ?? null,
      ok: false,
      status: null,
      latencyMs: null,
      error: `cannot read the CA file ${caFile} (verify.security.tls.ca): ${reason}`,
      tls: null,
    };
  }
  return runAccessProbe({ ...spec, ca }, nowMs);
}
