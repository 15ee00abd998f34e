import { parseDurationMs } from '../core/duration.js';

/**
 * What an alert rule can watch, per environment (all hosts of it together):
 * - errorRate: 5xx answers among the app's requests over the window, percent;
 * - p99: the worst per-sample 99th percentile latency in the window, ms;
 * - requestRate: requests per second over the window;
 * - cpu, memory, disk: the busiest host's latest share, percent; load: the highest 1-minute load average;
 * - restarts: target restarts (crashes) of the app in the window;
 * - probeLatency: the latest access probe's time to answer, ms; probeFailures: failed probes in a row;
 * - jobFailures: failed runs of scheduled jobs (`cron.failed` in the ledger) in the window.
 */
export const ALERT_METRICS = [
  'errorRate',
  'p99',
  'requestRate',
  'cpu',
  'memory',
  'disk',
  'load',
  'restarts',
  'probeLatency',
  'probeFailures',
  'jobFailures',
] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

export type AlertOperator = '>' | '>=' | '<' | '<=';

export interface AlertCondition {
  metric: AlertMetric;
  op: AlertOperator;
  /** In the metric's unit: percent for errorRate/cpu/memory/disk, ms for p99/probeLatency. */
  threshold: number;
}

const PERCENT_METRICS = new Set<AlertMetric>(['errorRate', 'cpu', 'memory', 'disk']);
const MS_METRICS = new Set<AlertMetric>(['p99', 'probeLatency']);
const CONDITION = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(>=|<=|>|<)\s*([0-9]+(?:\.[0-9]+)?)\s*(%|ms|s|m)?\s*$/;

/** Parses `errorRate > 2%`, `p99 > 300ms`, `disk >= 90%`, `restarts > 2`. Pure; an error message on failure. */
export function parseAlertCondition(text: string): AlertCondition | { error: string } {
  const match = CONDITION.exec(text);
  if (!match)
    return { error: `expected "<metric> <op> <number>[unit]", e.g. "errorRate > 2%" (got "${text}")` };
  const [, name = '', op = '>', number = '0', unit] = match;
  if (!(ALERT_METRICS as readonly string[]).includes(name))
    return { error: `unknown metric "${name}"; one of ${ALERT_METRICS.join(', ')}` };
  const metric = name as AlertMetric;
  let threshold = Number(number);
  if (unit === '%' && !PERCENT_METRICS.has(metric)) return { error: `${metric} is not a percentage` };
  if (unit && unit !== '%') {
    if (!MS_METRICS.has(metric)) return { error: `${metric} takes no time unit` };
    threshold = parseDurationMs(`${number}${unit}`) ?? threshold;
  }
  return { metric, op: op as AlertOperator, threshold };
}

export function describeCondition(c: AlertCondition): string {
  const unit = PERCENT_METRICS.has(c.metric) ? '%' : MS_METRICS.has(c.metric) ? 'ms' : '';
  return `${c.metric} ${c.op} ${c.threshold}${unit}`;
}

/** Does `value` meet the condition? */
export function meetsCondition(c: AlertCondition, value: number): boolean {
  switch (c.op) {
    case '>':
      return value > c.threshold;
    case '>=':
      return value >= c.threshold;
    case '<':
      return value < c.threshold;
    case '<=':
      return value <= c.threshold;
  }
}
