/**
 * Header rewriting for the proxy, on flat raw lists ([name, value, name, value, …]) as Node and undici give
 * them: no header objects are built, duplicates (set-cookie) and the sender's order survive.
 */

/**
 * What a header name means to the proxy. Decided by length first, so that most names are never lower-cased:
 * this runs for every header of every request and response.
 */
const ORDINARY = 0;
/** Describes one connection (RFC 9110 §7.6.1): never forwarded in either direction. */
const HOP_BY_HOP = 1;
/** Hop-by-hop, and names further hop-by-hop headers. */
const CONNECTION = 2;
const HOST = 3;
const FORWARDED_FOR = 4;
/** X-Forwarded-Proto / X-Forwarded-Host: replaced by the router's own values. */
const FORWARDED_OTHER = 5;
/** undici refuses to send `expect` (Node's server has already answered 100-continue to the client). */
const EXPECT = 6;

function kindOf(name: string): number {
  switch (name.length) {
    case 2:
      return is(name, 'te') ? HOP_BY_HOP : ORDINARY;
    case 4:
      return is(name, 'host') ? HOST : ORDINARY;
    case 6:
      return is(name, 'expect') ? EXPECT : ORDINARY;
    case 7:
      return is(name, 'trailer') || is(name, 'upgrade') ? HOP_BY_HOP : ORDINARY;
    case 10:
      if (is(name, 'connection')) return CONNECTION;
      return is(name, 'keep-alive') ? HOP_BY_HOP : ORDINARY;
    case 15:
      return is(name, 'x-forwarded-for') ? FORWARDED_FOR : ORDINARY;
    case 16:
      if (is(name, 'proxy-connection')) return HOP_BY_HOP;
      return is(name, 'x-forwarded-host') ? FORWARDED_OTHER : ORDINARY;
    case 17:
      if (is(name, 'transfer-encoding')) return HOP_BY_HOP;
      return is(name, 'x-forwarded-proto') ? FORWARDED_OTHER : ORDINARY;
    default:
      return ORDINARY;
  }
}

/** Case-insensitive equality with a lower-case name; no allocation when the name is already lower-case. */
function is(name: string, lower: string): boolean {
  return name === lower || name.toLowerCase() === lower;
}

/**
 * The largest request head the router forwards: request line, fields, the X-Forwarded-* it adds and the empty
 * line. Node's default header limit (a little over 16 KiB of fields) is the usual app's limit; a client's head that
 * fits the router's own limit but would pass the app's once the router's fields are added is answered 431 by the
 * router instead of reaching the app.
 */
export const MAX_UPSTREAM_REQUEST_HEAD_BYTES = 16 * 1024;

/** A start line and a flat header list as an HTTP/1.1 head. */
export function formatHead(startLine: string, headers: readonly string[]): string {
  let head = `${startLine}\r\n`;
  for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** `formatHead(startLine, headers).length`, without building the string. */
export function measureHead(startLine: string, headers: readonly string[]): number {
  let length = startLine.length + 4;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    length += (headers[i] as string).length + (headers[i + 1] as string).length + 4;
  }
  return length;
}

export interface ForwardedFor {
  /** The client's address as the router saw it. */
  clientAddress: string | undefined;
  /** The scheme the client used to reach the router. */
  proto: 'http' | 'https';
}

/**
 * Request headers for the upstream: hop-by-hop headers (and any the Connection header names) removed, the rest
 * in the client's order (Host where the client put it: with many headers, an app that keeps only the first N
 * would otherwise lose it), X-Forwarded-For appended to (like Go's httputil), X-Forwarded-Proto and
 * X-Forwarded-Host set. `authority` (from an absolute-form target) replaces the client's Host, as RFC 9112
 * §3.2.2 asks of a proxy.
 *
 * The framing headers and Host are never removed because Connection names them (see `addConnectionTokens`):
 * the router has already decided where the message ends from them, and the app must read the same.
 */
export function deriveUpstreamRequestHeaders(
  raw: readonly string[],
  forwarded: ForwardedFor,
  authority: string | null = null,
): string[] {
  const out: string[] = [];
  let host: string | undefined;
  let priorFor: string | undefined;
  let listed: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    switch (kindOf(name)) {
      case ORDINARY:
        out.push(name, value);
        break;
      case CONNECTION:
        listed = addConnectionTokens(listed, value);
        break;
      case FORWARDED_FOR:
        priorFor = priorFor === undefined ? value : `${priorFor}, ${value}`;
        break;
      case HOST:
        // A second Host header is a malformed request; undici rejects it, the router answers 400.
        if (host === undefined) {
          host = authority ?? value;
          out.push(name, host);
        } else out.push(name, value);
        break;
      // HOP_BY_HOP, FORWARDED_OTHER, EXPECT: dropped
    }
  }
  const filtered = listed === undefined ? out : withoutNames(out, listed);
  if (host === undefined && authority !== null) filtered.push('host', (host = authority));
  const client = forwarded.clientAddress ?? 'unknown';
  filtered.push('x-forwarded-for', priorFor === undefined ? client : `${priorFor}, ${client}`);
  filtered.push('x-forwarded-proto', forwarded.proto);
  if (host !== undefined) filtered.push('x-forwarded-host', host);
  return filtered;
}

/** Response headers for the client: hop-by-hop headers and any the Connection header names removed. */
export function deriveClientResponseHeaders(raw: readonly (Buffer | string)[]): string[] {
  const out: string[] = [];
  let listed: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    // latin1 round-trips every byte: Node writes header strings back as latin1.
    const name = raw[i]!.toString('latin1');
    const value = raw[i + 1]!.toString('latin1');
    const kind = kindOf(name);
    if (kind === CONNECTION) listed = addConnectionTokens(listed, value);
    else if (kind !== HOP_BY_HOP) out.push(name, value);
  }
  return listed === undefined ? out : withoutNames(out, listed);
}

/** Headers for an Upgrade request, forwarded as raw bytes: Connection and Upgrade stay, X-Forwarded-* are set. */
export function deriveUpgradeRequestHead(
  method: string,
  url: string,
  raw: readonly string[],
  forwarded: ForwardedFor,
  authority: string | null = null,
): string {
  let head = `${method} ${url} HTTP/1.1\r\n`;
  let host: string | undefined;
  let priorFor: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (is(name, 'keep-alive') || is(name, 'proxy-connection')) continue;
    const kind = kindOf(name);
    if (kind === FORWARDED_FOR) priorFor = priorFor === undefined ? value : `${priorFor}, ${value}`;
    if (kind === FORWARDED_FOR || kind === FORWARDED_OTHER) continue;
    if (kind === HOST && host === undefined) {
      host = authority ?? value;
      head += `${name}: ${host}\r\n`;
      continue;
    }
    head += `${name}: ${value}\r\n`;
  }
  if (host === undefined && authority !== null) head += `host: ${(host = authority)}\r\n`;
  const client = forwarded.clientAddress ?? 'unknown';
  head += `x-forwarded-for: ${priorFor === undefined ? client : `${priorFor}, ${client}`}\r\n`;
  head += `x-forwarded-proto: ${forwarded.proto}\r\n`;
  if (host !== undefined) head += `x-forwarded-host: ${host}\r\n`;
  return `${head}\r\n`;
}

/** True when the request carries a body (a Content-Length other than 0, or any Transfer-Encoding). */
export function requestHasBody(raw: readonly string[]): boolean {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 17 && is(name, 'transfer-encoding')) return true;
    if (name.length === 14 && is(name, 'content-length') && (raw[i + 1] as string).trim() !== '0')
      return true;
  }
  return false;
}

/**
 * The header names a Connection value nominates as hop-by-hop. Content-Length, Transfer-Encoding and Host are
 * never among them, whatever the sender lists: removing a framing header while forwarding the body it frames
 * makes the next hop read the body as further requests or answers (request smuggling, response splitting), and
 * a request without Host is another request. Node's server, HAProxy and undici read such a message by its
 * framing too. close / keep-alive / upgrade are options, not header names, and are dropped anyway.
 */
function addConnectionTokens(listed: string[] | undefined, value: string): string[] | undefined {
  if (is(value, 'keep-alive') || is(value, 'close')) return listed; // the usual values, without splitting
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || NEVER_NOMINATED.has(name)) continue;
    const kind = kindOf(name);
    if (kind === HOP_BY_HOP || kind === CONNECTION) continue;
    (listed ??= []).push(name);
  }
  return listed;
}

const NEVER_NOMINATED = new Set(['content-length', 'transfer-encoding', 'host']);

function withoutNames(flat: readonly string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i] as string;
    if (!names.includes(name.toLowerCase())) out.push(name, flat[i + 1] as string);
  }
  return out;
}
