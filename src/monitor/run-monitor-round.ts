import { monitoringOf } from '../config/config-values.js';
import { parseDurationMs } from '../core/duration.js';
import type { AlertRuleConfig } from '../config/monitor-schema.js';
import { environmentConfig } from '../config/environment-config.js';
import { hostsOf } from '../hosts/hosts-of.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { Host } from '../hosts/host.js';
import type { MonitorStateRecord } from '../store/index.js';
import type { ProbeResult } from './access-probe.js';
import { probeEnvironment, type LedgerWriter } from './probe-environment.js';
import { describeCondition, parseAlertCondition, type AlertCondition } from '../config/alert-condition.js';
import { rollbackYoungRelease, findServingDeploy, type RollbackOutcome } from './auto-rollback.js';
import { collectSamples, type HostBatch } from './collect-samples.js';
import { detectCrashLoops } from './crash-loops.js';
import { deriveAlertValues, type AlertValues } from './derive-alert-values.js';
import { deriveErrorReports } from './error-reports.js';
import { evaluateAlert, type AlertState } from './evaluate-alert.js';
import { applyRetention } from './apply-retention.js';
import { deriveSampleRows } from './sample-rows.js';

export interface MonitorRoundOptions {
  /** Run the access probe this round. */
  probe: boolean;
  /** Let rules with `rollback: true` roll a young release back. */
  rollback: boolean;
  reachable?: (host: Host) => Promise<boolean>;
}

export interface MonitorRoundReport {
  environment: string;
  atMs: number;
  hosts: Array<Omit<HostBatch, 'samples' | 'logMatches'> & { samples: number }>;
  probe: ProbeResult | null;
  values: AlertValues;
  alerts: Array<{ name: string; condition: string; phase: AlertState['phase']; value: number | null }>;
  /** Ledger events written this round (kinds), in order. */
  events: string[];
  rollback: RollbackOutcome | null;
}

const ACTOR = 'slipway-monitor';

/**
 * One round of watching an environment: collect samples from every host, probe the public address, evaluate
 * alert rules, detect crash loops and error bursts, group errors per release, write transitions to the ledger
 * (once each), roll back a young release when a rule says so, and apply retention.
 */
export async function runMonitorRound(
  cp: ControlPlane,
  environment: string,
  options: MonitorRoundOptions,
): Promise<MonitorRoundReport> {
  const env = environmentConfig(cp.config, environment);
  const m = monitoringOf(env);
  const app = cp.config.app;
  const ms = (d: string): number => parseDurationMs(d) ?? 0;
  const sampleIntervalMs = ms(m.sampleInterval);
  const batches = await collectSamples(cp.store, hostsOf(cp, environment), {
    app,
    environment,
    sampleIntervalMs,
    errorPatterns: m.errorPatterns,
    timeoutMs: Math.max(2_000, Math.min(10_000, ms(m.interval))),
    ...(options.reachable ? { reachable: options.reachable } : {}),
  });
  await cp.store.insertSamples(batches.flatMap((b) => deriveSampleRows(app, environment, b.host, b.samples)));

  const now = cp.clock.nowMs();
  const serving = await findServingDeploy(cp, environment);
  const release = serving?.releaseVersion ?? null;
  const events: string[] = [];
  const ledger: LedgerWriter = async (e) => {
    await cp.store.appendEvent({ atMs: now, actor: ACTOR, app, environment, release, ...e });
    events.push(e.kind);
  };
  const states = new Map((await cp.store.listMonitorStates(app, environment)).map((s) => [s.key, s]));
  const putState = (key: string, state: string, sinceMs: number, data: unknown): Promise<void> =>
    cp.store.putMonitorState({ app, environment, key, state, sinceMs, updatedAtMs: now, data });

  // The access probe: failures in a row open an incident, a success resolves it.
  const probed = options.probe ? await probeEnvironment(cp, environment, ledger) : null;
  const probe = probed?.probe ?? null;
  const probeState = probed?.state ?? null;

  // Alert rules over the window.
  const windowRows = await cp.store.listSamples({
    app,
    environment,
    resolution: 'raw',
    sinceMs: now - ms(m.window),
  });
  const values = deriveAlertValues(windowRows, {
    latencyMs: probe?.latencyMs ?? null,
    consecutiveFailures: probeState?.failures ?? 0,
  });
  if (!probe) values.probeLatency = null; // no probe this round: no data, not zero
  if (!probe) values.probeFailures = null;
  values.jobFailures = await countJobFailures(cp, environment, now - ms(m.window));
  const alerts: MonitorRoundReport['alerts'] = [];
  let rollback: RollbackOutcome | null = null;
  for (const rule of m.alerts) {
    const condition = parseAlertCondition(rule.when) as AlertCondition;
    const key = `alert:${rule.name}`;
    const previous = alertStateOf(states.get(key), now);
    const value = values[condition.metric];
    const step = evaluateAlert(previous, condition, ms(rule.for), value, now);
    alerts.push({ name: rule.name, condition: describeCondition(condition), phase: step.state.phase, value });
    await putState(key, step.state.phase, step.state.sinceMs, { value, severity: rule.severity });
    if (step.transition === null) continue;
    const data = { rule: rule.name, severity: rule.severity, condition: describeCondition(condition), value };
    if (step.transition === 'resolved') {
      await ledger({
        kind: 'alert.resolved',
        message: `${rule.name} resolved: ${condition.metric} is ${value}`,
        data,
      });
      continue;
    }
    await ledger({
      kind: 'alert.firing',
      message: `${rule.name} firing (${rule.severity}): ${condition.metric} is ${value}, ${describeCondition(condition)}`,
      data,
    });
    if (rule.rollback && options.rollback && rollback === null)
      rollback = await rollbackFor(
        cp,
        environment,
        rule,
        m.youngFor,
        `${rule.name}: ${condition.metric} ${value}`,
        ledger,
      );
  }

  await reportCrashLoops(cp, environment, batches, now, states, putState, ledger);
  const reports = deriveErrorReports(app, batches, m.errorBurst.minErrors);
  for (const g of reports.groups) await cp.store.addErrors({ app, environment, ...g });
  for (const b of reports.bursts)
    await ledger({
      kind: 'errors.burst',
      release: b.release,
      message: `${b.errors} of ${b.requests} requests to ${b.release} on ${b.host} answered 5xx`,
      data: b,
    });
  await applyRetention(cp.store, app, environment, m.retention, now, states.get('retention'), putState);

  return {
    environment,
    atMs: now,
    hosts: batches.map(({ samples, logMatches: _l, ...b }) => ({ ...b, samples: samples.length })),
    probe,
    values,
    alerts,
    events,
    rollback,
  };
}

function alertStateOf(record: MonitorStateRecord | undefined, now: number): AlertState {
  if (!record) return { phase: 'ok', sinceMs: now };
  const phase = record.state === 'firing' || record.state === 'pending' ? record.state : 'ok';
  return { phase, sinceMs: record.sinceMs };
}

async function rollbackFor(
  cp: ControlPlane,
  environment: string,
  rule: AlertRuleConfig,
  youngFor: string,
  why: string,
  ledger: LedgerWriter,
): Promise<RollbackOutcome> {
  const outcome = await rollbackYoungRelease(cp, environment, youngFor, `alert ${why}`);
  if (outcome.kind !== 'skipped')
    await ledger({
      kind:
        outcome.kind === 'rolled-back' && outcome.outcome === 'succeeded'
          ? 'deploy.rolled-back'
          : 'alert.rollback-failed',
      release: outcome.from,
      message:
        outcome.kind === 'rolled-back'
          ? `${rule.name} rolled ${environment} back from ${outcome.from} to ${outcome.to}: ${outcome.outcome}${outcome.error ? ` (${outcome.error})` : ''}`
          : `${rule.name} could not roll ${environment} back from ${outcome.from}: ${outcome.error}`,
      data: { rule: rule.name, ...outcome },
    });
  return outcome;
}

async function reportCrashLoops(
  cp: ControlPlane,
  environment: string,
  batches: readonly HostBatch[],
  now: number,
  states: ReadonlyMap<string, MonitorStateRecord>,
  putState: (key: string, state: string, sinceMs: number, data: unknown) => Promise<void>,
  ledger: LedgerWriter,
): Promise<void> {
  const m = monitoringOf(environmentConfig(cp.config, environment));
  const rows = await cp.store.listSamples({
    app: cp.config.app,
    environment,
    resolution: 'raw',
    metric: 'target.restarts',
    sinceMs: now - (parseDurationMs(m.crashLoop.within) ?? 0),
  });
  for (const loop of detectCrashLoops(rows, batches, m.crashLoop.restarts)) {
    const key = `crash-loop:${loop.host}:${loop.targetId}`;
    const was = states.get(key)?.state === 'looping';
    if (loop.looping && !was) {
      await putState(key, 'looping', now, loop);
      // The loop may be recognised in a round whose samples hold no exit (the crashes were sampled earlier):
      // the stderr of the last one is then in the error group the earlier round recorded.
      const stderrTail = loop.stderrTail || (await lastCrashStderr(cp, environment, loop));
      await ledger({
        kind: 'crash-loop.detected',
        release: loop.release,
        message: `target ${loop.targetId} of ${loop.release} on ${loop.host} crashed ${loop.restarts} times within ${m.crashLoop.within}${stderrTail ? `; last lines of stderr:\n${stderrTail}` : ''}`,
        data: { ...loop, stderrTail },
      });
    } else if (!loop.looping && was) await putState(key, 'ok', now, loop);
  }
}

/** The stderr tail kept with the newest crash of this target among the error groups, or ''. */
async function lastCrashStderr(
  cp: ControlPlane,
  environment: string,
  loop: { release: string; targetId: string },
): Promise<string> {
  const crashes = (await cp.store.listErrorGroups(cp.config.app, environment))
    .filter((g) => g.kind === 'crash' && g.release === loop.release)
    .sort((a, b) => b.lastAtMs - a.lastAtMs);
  for (const group of crashes) {
    const sample = group.sample as { targetId?: unknown; stderrTail?: unknown } | undefined;
    if (sample?.targetId === loop.targetId && typeof sample.stderrTail === 'string') return sample.stderrTail;
  }
  return '';
}

/** Failed runs of scheduled jobs (`cron.failed`, copied from the agents) of the environment since `sinceMs`. */
async function countJobFailures(cp: ControlPlane, environment: string, sinceMs: number): Promise<number> {
  const events = await cp.store.listEvents({
    app: cp.config.app,
    environment,
    kinds: ['cron.failed'],
    limit: 1000,
    order: 'time',
  });
  return events.filter((e) => e.atMs >= sinceMs).length;
}
