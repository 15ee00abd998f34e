import { timingSafeEqual } from 'node:crypto';
import type { RequestInfo } from './split.js';

/**
 * Maintenance mode of one route (`slipway maintenance on`): what the router answers instead of the app, and which
 * requests still reach the app. Route state, like the active target: saved with the route, independent of targets.
 */
export interface MaintenanceSpec {
  /** Shown to users on the page (HTML) or as the body (plain text). */
  message: string;
  /** The `Retry-After` header, in seconds. */
  retryAfterS: number;
  /** Requests to this path (the app's health check, query ignored) still reach the app; null: none. */
  healthPath: string | null;
  /** A tester sending this value (header or cookie) still reaches the app; null: nobody. A secret. */
  bypassToken: string | null;
  /** When it was turned on, and by whom (for status). */
  sinceMs: number;
  by: string;
}

/** The header and the cookie a tester sends the bypass token in (`slipway maintenance on` prints it). */
export const MAINTENANCE_BYPASS_HEADER = 'x-slipway-maintenance-bypass';
export const MAINTENANCE_BYPASS_COOKIE = 'slipway_maintenance_bypass';

/** The router's answer in maintenance, in the fast path's `answer` form (fields: CRLF-ended field lines). */
export interface MaintenanceAnswer {
  kind: 'answer';
  status: 503;
  body: string;
  contentType: string;
  fields: string;
  /** The same fields as name/value pairs, for Node's server (the classic path). */
  headers: ReadonlyArray<readonly [string, string]>;
}

/** A spec with its two answers rendered once: a request only chooses. */
export interface MaintenancePlan {
  spec: MaintenanceSpec;
  html: MaintenanceAnswer;
  plain: MaintenanceAnswer;
  token: Buffer | null;
}

/** Renders the answers of `spec` (pure). */
export function planMaintenance(spec: MaintenanceSpec): MaintenancePlan {
  const headers: Array<readonly [string, string]> = [
    ['retry-after', String(Math.max(0, Math.round(spec.retryAfterS)))],
    ['cache-control', 'no-store'],
    ['vary', 'accept'],
  ];
  const fields = headers.map(([n, v]) => `${n}: ${v}\r\n`).join('');
  const answer = (body: string, contentType: string): MaintenanceAnswer => ({
    kind: 'answer',
    status: 503,
    body,
    contentType,
    fields,
    headers,
  });
  return {
    spec,
    html: answer(renderMaintenancePage(spec.message), 'text/html; charset=utf-8'),
    plain: answer(`${spec.message}\n`, 'text/plain; charset=utf-8'),
    token: spec.bypassToken === null || spec.bypassToken === '' ? null : Buffer.from(spec.bypassToken),
  };
}

/**
 * What the router does with a request while its route is in maintenance: null to let it through to the app (the
 * health check's path, a tester with the bypass token), else the answer to send. Pure.
 */
export function answerInMaintenance(
  plan: MaintenancePlan,
  target: string,
  request: RequestInfo,
): MaintenanceAnswer | null {
  if (plan.spec.healthPath !== null && pathOf(target) === plan.spec.healthPath) return null;
  if (plan.token !== null && hasBypassToken(plan.token, request)) return null;
  return acceptsHtml(request.header('accept')) ? plan.html : plan.plain;
}

/** The path of a request target: origin-form without its query, or the path of an absolute-form target. */
export function pathOf(target: string): string {
  let start = 0;
  if (!target.startsWith('/')) {
    const scheme = target.indexOf('://');
    if (scheme === -1) return target; // '*'
    const slash = target.indexOf('/', scheme + 3);
    if (slash === -1) return '/';
    start = slash;
  }
  const query = target.indexOf('?', start);
  const hash = target.indexOf('#', start);
  const ends = [query, hash].filter((i) => i !== -1);
  return target.slice(start, ends.length === 0 ? undefined : Math.min(...ends));
}

/** A browser asks for HTML (`text/html` or XHTML); curl, fetch and API clients get plain text. */
export function acceptsHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  for (const part of accept.toLowerCase().split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim());
    if (type !== 'text/html' && type !== 'application/xhtml+xml') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

function hasBypassToken(token: Buffer, request: RequestInfo): boolean {
  const header = request.header(MAINTENANCE_BYPASS_HEADER);
  if (header !== undefined && sameToken(token, header.trim())) return true;
  const cookie = request.header('cookie');
  if (cookie === undefined) return false;
  for (const pair of cookie.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== MAINTENANCE_BYPASS_COOKIE) continue;
    if (sameToken(token, pair.slice(eq + 1).trim())) return true;
  }
  return false;
}

function sameToken(token: Buffer, given: string): boolean {
  const bytes = Buffer.from(given);
  return bytes.length === token.length && timingSafeEqual(bytes, token);
}

/** The page: small, no outside resources; the message escaped, and every non-ASCII character as a reference. */
export function renderMaintenancePage(message: string): string {
  const text = escapeHtml(message).replace(/\r?\n/g, '<br>\n');
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    '<title>Down for maintenance</title>\n' +
    '<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:15vh auto;padding:0 1rem;color:#222}' +
    'h1{font-size:1.5rem}</style>\n</head>\n<body>\n<h1>Down for maintenance</h1>\n' +
    `<p>${text}</p>\n</body>\n</html>\n`
  );
}

function escapeHtml(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&#39;';
    else if (code > 0x7e) out += `&#${code};`;
    else out += ch;
  }
  return out;
}
