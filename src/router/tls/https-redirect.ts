/**
 * Sending plain-HTTP clients to HTTPS, and HSTS: pure rules over a request's Host and target, used by both of
 * the router's paths (fast path and Node's server).
 */
import { parseRequestTarget } from '../request-target.js';
import { normalizeServerName } from './certificate-names.js';

export interface HttpsRedirectOptions {
  /**
   * Which requests on the plain port are redirected: `covered` (the default) those whose Host a certificate of the
   * TLS listener covers, so a name without a certificate is still served over HTTP; `all` every request with a
   * usable Host.
   */
  when?: 'covered' | 'all';
  /** 308 (the default) keeps the method and body on the way; 301 lets old clients turn a POST into a GET. */
  status?: 301 | 308;
  /** The port the Location names; the TLS listener's by default, left out when it is 443. */
  httpsPort?: number;
}

export interface HttpsRedirect {
  status: 301 | 308;
  location: string;
}

/** Decides per request; null: serve it on the plain port. */
export type RedirectRule = (host: string | undefined, method: string, target: string) => HttpsRedirect | null;

/** A Host header's name and port; null when it is not `reg-name[:port]` or `[IPv6][:port]`. */
export function parseHostHeader(host: string): { name: string; port: number | null } | null {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?$/.exec(host.trim());
  if (m === null) return null;
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && port > 65535) return null;
  return { name: m[1]!.toLowerCase(), port };
}

/**
 * The HTTPS address of a request received over plain HTTP: `https://<host>[:port]<path?query>`, the path and
 * query as the client sent them (an absolute-form target's authority replaces Host). Null when there is no usable
 * host (none, malformed) or no path (`OPTIONS *`, a malformed target): the request is then served as it is.
 */
export function httpsLocation(
  host: string | undefined,
  method: string,
  target: string,
  httpsPort: number,
): { location: string; hostname: string } | null {
  const parsedTarget = parseRequestTarget(method, target);
  if (parsedTarget.kind === 'invalid' || parsedTarget.path === '*') return null;
  const authority = parsedTarget.kind === 'absolute' ? parsedTarget.authority : host;
  if (authority === undefined) return null;
  const parsed = parseHostHeader(authority);
  if (parsed === null) return null;
  const port = httpsPort === 443 ? '' : `:${httpsPort}`;
  return { location: `https://${parsed.name}${port}${parsedTarget.path}`, hostname: parsed.name };
}

/** The rule a plain listener applies; `covers(hostname)` tells whether the TLS listener has its certificate. */
export function httpsRedirectRule(
  options: HttpsRedirectOptions,
  httpsPort: () => number,
  covers: (hostname: string) => boolean,
): RedirectRule {
  const status = options.status ?? 308;
  const all = options.when === 'all';
  return (host, method, target) => {
    const where = httpsLocation(host, method, target, options.httpsPort ?? httpsPort());
    if (where === null) return null;
    if (!all) {
      const name = normalizeServerName(where.hostname);
      if (name === null || !covers(name)) return null;
    }
    return { status, location: where.location };
  };
}

export interface HstsOptions {
  /** How long browsers remember to use HTTPS only (default one year). */
  maxAgeS?: number;
  includeSubDomains?: boolean;
  preload?: boolean;
}

/** The Strict-Transport-Security value. */
export function formatHsts(options: HstsOptions): string {
  const maxAge = Math.max(0, Math.floor(options.maxAgeS ?? 31_536_000));
  return (
    `max-age=${maxAge}` +
    (options.includeSubDomains === true ? '; includeSubDomains' : '') +
    (options.preload === true ? '; preload' : '')
  );
}

/** Whether a flat header list already has a Strict-Transport-Security field (the app's own wins). */
export function hasHstsHeader(flat: readonly string[]): boolean {
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    if (name.length === 25 && name.toLowerCase() === 'strict-transport-security') return true;
  }
  return false;
}
