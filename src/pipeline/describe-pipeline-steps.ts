import { isoAt } from '../core/clock.js';
import { formatDurationMs } from '../core/duration.js';
import type { AwaitWindowStep, BakeStep } from './pipeline-steps.js';

export function describeAwaitWindow(s: AwaitWindowStep): string {
  const parts: string[] = [];
  if (s.notBeforeMs !== null) parts.push(`not before ${isoAt(s.notBeforeMs)}`);
  if (s.windows.length > 0)
    parts.push(`inside a window (${s.windows.map((w) => `"${w.cron}" ${w.timezone}`).join(' or ')})`);
  const freeze =
    s.freezes.length === 0 ? '' : s.freezeOverridden ? '; freezes overridden' : '; refused during a freeze';
  return `wait until the deploy may start: ${parts.join(', ')}${freeze}`;
}

export function describeBakeRules(s: BakeStep): string {
  const rules = [`5xx rate ≤ ${(s.maxErrorRate * 100).toFixed(1)}%`];
  if (s.maxP99Ms !== null)
    rules.push(`p99 ≤ ${formatDurationMs(s.maxP99Ms)} (after ${s.minRequests} requests)`);
  if (s.requireHealthy) rules.push('targets healthy');
  if (s.probe) rules.push(`probe ${s.probe.ratePerSecond}/s on ${s.probe.path}`);
  return rules.join(', ');
}
