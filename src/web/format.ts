import { formatDurationMs } from '../core/duration.js';

/** Words and times as the dashboard shows them. Pure (the current time is passed in). */
export { formatDurationMs };

/** `2026-11-26 21:04:05` in the browser's time zone: sortable, and the same width on every row. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatAgo(ms: number, nowMs: number): string {
  const delta = nowMs - ms;
  return delta < 1000 ? 'just now' : `${formatDurationMs(delta)} ago`;
}

/** The colour family of a state word (step status, phase, outcome, health): the CSS class `tone-<family>`. */
export type Tone = 'good' | 'bad' | 'busy' | 'waiting' | 'quiet';

const TONES: Record<string, Tone> = {
  succeeded: 'good',
  healthy: 'good',
  serving: 'good',
  stable: 'good',
  passed: 'good',
  successful: 'good',
  inconclusive: 'waiting',
  running: 'busy',
  starting: 'busy',
  canary: 'busy',
  draining: 'busy',
  'in-rotation': 'good',
  valid: 'good',
  expiring: 'waiting',
  expired: 'bad',
  unreadable: 'bad',
  ejected: 'bad',
  disabled: 'waiting',
  failed: 'bad',
  unhealthy: 'bad',
  'rolled-back': 'bad',
  aborted: 'bad',
  interrupted: 'bad',
  rejected: 'bad',
  backoff: 'bad',
  analyzing: 'busy',
  baking: 'busy',
  'waiting-for-approval': 'waiting',
  paused: 'waiting',
  waiting: 'waiting',
  scheduled: 'waiting',
  queued: 'waiting',
};

export function toneOf(word: string): Tone {
  return TONES[word] ?? 'quiet';
}

/** Numbers on chart axes and in tables: three significant digits at most, no `1.0000001`. */
export function formatNumber(value: number | null, unit = ''): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  const text = abs >= 100 || value === 0 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
  return `${text}${unit}`;
}
