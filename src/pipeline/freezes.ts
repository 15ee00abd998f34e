import { parsePointInTime } from './zoned-time.js';

export interface Freeze {
  name: string;
  from: string;
  to: string;
  timezone: string;
}

export interface ResolvedFreeze {
  name: string;
  fromMs: number;
  toMs: number;
}

/** A freeze's bounds as instants; `from` is included and `to` excluded. Pure. */
export function resolveFreeze(freeze: Freeze): ResolvedFreeze {
  const fromMs = parsePointInTime(freeze.from, freeze.timezone);
  const toMs = parsePointInTime(freeze.to, freeze.timezone);
  if (fromMs === undefined || toMs === undefined) {
    // The schema only lets well-formed times through; a freeze that cannot be read blocks rather than lapses.
    return { name: freeze.name, fromMs: Number.NEGATIVE_INFINITY, toMs: Number.POSITIVE_INFINITY };
  }
  return { name: freeze.name, fromMs, toMs };
}

/** The freeze in force at `atMs` (the one that ends last, when several overlap), or null. Pure. */
export function deriveActiveFreeze(freezes: readonly Freeze[], atMs: number): ResolvedFreeze | null {
  const active = freezes
    .map(resolveFreeze)
    .filter((f) => f.fromMs <= atMs && atMs < f.toMs)
    .sort((a, b) => b.toMs - a.toMs);
  return active[0] ?? null;
}
