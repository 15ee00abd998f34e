/**
 * Wall-clock times in a time zone → instants, and back, through Intl (pure: no clock is read).
 *
 * A local time that does not exist (skipped when clocks go forward) is read with the offset before the jump, so
 * 02:30 on the night Berlin goes from 02:00 to 03:00 is 03:30 (as Temporal's "compatible" does, and as croner
 * reads a window); a local time that happens twice (the hour repeated when clocks go back) resolves to its
 * first occurrence, so a freeze starts no later than its owner wrote.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC at an instant, in milliseconds (Berlin in winter: +3 600 000). */
export function deriveZoneOffsetMs(atMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(atMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - Math.floor(atMs / 1000) * 1000;
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The instant of a wall-clock time in a zone (see the module comment for skipped and repeated times). */
export function deriveInstantMs(local: LocalTime, timeZone: string): number {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  // The offsets in force a day either side cover any transition near this wall time.
  const candidates = [
    ...new Set([
      deriveZoneOffsetMs(wall - 86_400_000, timeZone),
      deriveZoneOffsetMs(wall + 86_400_000, timeZone),
    ]),
  ]
    .map((offset) => wall - offset)
    .filter((instant) => wall - deriveZoneOffsetMs(instant, timeZone) === instant)
    .sort((a, b) => a - b);
  const first = candidates[0];
  if (first !== undefined) return first;
  // Skipped: the wall time falls in the gap; read it with the offset in force before the jump.
  const before = deriveZoneOffsetMs(wall - 86_400_000, timeZone);
  return wall - before;
}

const POINT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Parses "2026-12-24", "2026-12-24 18:00" (read in `timeZone`) or an absolute "2026-12-24T17:00:00Z" /
 * "…+01:00"; undefined when it is none of these.
 */
export function parsePointInTime(text: string, timeZone: string): number | undefined {
  const m = POINT.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, zone] = m;
  const local: LocalTime = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h ?? 0),
    minute: Number(mi ?? 0),
    second: Number(s ?? 0),
  };
  if (local.month < 1 || local.month > 12 || local.day < 1 || local.day > 31) return undefined;
  if (local.hour > 23 || local.minute > 59 || local.second > 59) return undefined;
  if (zone === undefined) return deriveInstantMs(local, timeZone);
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  if (zone === 'Z') return wall;
  const sign = zone.startsWith('-') ? -1 : 1;
  const offsetMs = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  return wall - offsetMs;
}
