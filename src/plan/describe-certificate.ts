// Words for a certificate, the same in `slipway plan`, `slipway status` and the dashboard. Pure.

const DAY_MS = 24 * 60 * 60 * 1000;

/** `expires 2026-03-01 (in 89 days)`, `expires 2026-01-02 (in 5 hours)`, `expired 2025-12-30 (3 days ago)`. Pure. */
export function describeExpiry(notAfter: string, nowMs: number): string {
  const notAfterMs = Date.parse(notAfter);
  if (Number.isNaN(notAfterMs)) return 'expiry unknown';
  const date = new Date(notAfterMs).toISOString().slice(0, 10);
  const left = notAfterMs - nowMs;
  return left > 0 ? `expires ${date} (in ${spanOf(left)})` : `expired ${date} (${spanOf(-left)} ago)`;
}

function spanOf(ms: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (ms >= DAY_MS) return plural(Math.floor(ms / DAY_MS), 'day');
  if (ms >= 60 * 60 * 1000) return plural(Math.floor(ms / (60 * 60 * 1000)), 'hour');
  return plural(Math.max(1, Math.floor(ms / 60_000)), 'minute');
}

/** The issuer's common name, with its organization when that says more: `R11 (Let's Encrypt)`. Pure. */
export function issuerName(issuer: string): string {
  // A value may hold ", " itself (`O=Example, Inc.`): it runs up to the next `, KEY=`.
  const field = (key: string) => new RegExp(`(?:^|, )${key}=(.*?)(?=, [A-Za-z.0-9]+=|$)`).exec(issuer)?.[1];
  const cn = field('CN');
  const o = field('O');
  if (cn === undefined) return o ?? issuer;
  return o === undefined || cn.includes(o) ? cn : `${cn} (${o})`;
}
