import type { MetricSampleRecord } from '../store/index.js';
import type { HostBatch } from './collect-samples.js';
import { restartsIn } from './derive-alert-values.js';

export interface CrashLoop {
  host: string;
  targetId: string;
  release: string;
  restarts: number;
  looping: boolean;
  /** The last lines of stderr at its latest exit the sampler saw (empty when none was seen). */
  stderrTail: string;
  exit: { code: number | null; signal: string | null; atMs: number } | null;
}

/**
 * Per target: how often it restarted within the crash-loop window (from the stored restart counters), and
 * whether that reaches `threshold` (pure). The stderr tail comes from the newest exit in this round's samples.
 */
export function detectCrashLoops(
  restartRows: readonly MetricSampleRecord[],
  batches: readonly HostBatch[],
  threshold: number,
): CrashLoop[] {
  const byTarget = new Map<string, MetricSampleRecord[]>();
  for (const r of restartRows) {
    const key = `${r.host}\u0000${r.subject}`;
    byTarget.set(key, [...(byTarget.get(key) ?? []), r]);
  }
  const loops: CrashLoop[] = [];
  for (const [key, rows] of byTarget) {
    const [host = '', targetId = ''] = key.split('\u0000');
    const restarts = restartsIn(rows) ?? 0;
    let release = '';
    let exit: CrashLoop['exit'] = null;
    let stderrTail = '';
    for (const s of batches.find((b) => b.host === host)?.samples ?? []) {
      const t = s.targets.find((x) => x.id === targetId);
      if (!t) continue;
      release = t.release;
      if (t.exit && (!exit || t.exit.atMs >= exit.atMs)) {
        exit = { code: t.exit.code, signal: t.exit.signal, atMs: t.exit.atMs };
        stderrTail = t.exit.stderrTail;
      }
    }
    if (!release) release = targetId.split('-').slice(1, -1).join('-') || targetId;
    loops.push({ host, targetId, release, restarts, looping: restarts >= threshold, stderrTail, exit });
  }
  return loops;
}
