import { SlipwayError } from '../core/errors.js';

/**
 * The front door's routing table, pure: which route a request belongs to by its host name and path.
 *
 * - The name: the exact name first, then a `*.example.com` wildcard (exactly one label: it matches
 *   `a.example.com`, not `example.com` nor `a.b.example.com`). Names are compared lowercased, without a port and
 *   without a trailing dot.
 * - Then the path, among the routes of the name chosen (as nginx chooses a server, then a location): the longest
 *   path prefix that matches on whole segments (`/api` matches `/api`, `/api/x` and `/api?q`, not `/apix`). When
 *   none of that name's prefixes matches, the request matches nothing: it does not fall back to a wildcard.
 *
 * Lookup is a Map get per name kind plus a scan of that one name's prefixes, so it costs the same with 100
 * routes as with 1.
 */

/** A route as attached: its id, the names it answers to, optionally a path prefix (default `/`: everything). */
export interface HostRouteSpec {
  id: string;
  names: readonly string[];
  pathPrefix?: string;
}

interface Entry<T> {
  id: string;
  /** Normalised: starts with `/`, no trailing `/` except the root itself. */
  prefix: string;
  value: T;
}

/** The routes of one name, longest prefix first. */
type NameRoutes<T> = Entry<T>[];

const NAME = /^(?:\*\.)?[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;
const IP_LITERAL = /^\[[0-9a-f:.]+\]$/;

/** A configured name, normalised (lowercase, no trailing dot); throws when it cannot be a host name. */
export function normaliseRouteName(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  if (n.length === 0 || n.length > 253 || !(NAME.test(n) || IP_LITERAL.test(n))) {
    throw new SlipwayError(`${JSON.stringify(name)} is not a host name a route can answer to`, {
      hint: 'use a DNS name such as shop.example.com, or *.example.com for every name one label below it',
    });
  }
  return n;
}

/** A configured path prefix, normalised: `api/` → `/api`; `/` or nothing: the whole site. */
export function normalisePathPrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '' || prefix === '/') return '/';
  let p = prefix.startsWith('/') ? prefix : `/${prefix}`;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (/[?#\s]/.test(p)) {
    throw new SlipwayError(`path prefix ${JSON.stringify(prefix)} may not contain ?, # or spaces`, {
      hint: 'give a path such as /api',
    });
  }
  return p;
}

/**
 * The request's host name as routes know it: lowercased, without the port and without a trailing dot; '' when
 * there is none. `authority` (an absolute-form request target's, RFC 9112 §3.2.2) wins over the Host header.
 */
export function requestHostName(host: string | undefined, authority: string | null = null): string {
  let h = authority ?? host;
  if (h === undefined || h.length === 0) return '';
  if (h.charCodeAt(0) === 0x5b /* [ */) {
    const close = h.indexOf(']');
    h = close < 0 ? h : h.slice(0, close + 1);
  } else {
    const colon = h.indexOf(':');
    if (colon >= 0) h = h.slice(0, colon);
  }
  if (h.charCodeAt(h.length - 1) === 0x2e /* . */) h = h.slice(0, -1);
  return h.toLowerCase();
}

/** Whether `path` (a request target, query allowed) lies under `prefix` on whole segments. */
export function pathUnder(path: string, prefix: string): boolean {
  if (prefix.length === 1) return true; // '/'
  if (!path.startsWith(prefix)) return false;
  if (path.length === prefix.length) return true;
  const next = path.charCodeAt(prefix.length);
  return next === 0x2f /* / */ || next === 0x3f; /* ? */
}

/** The routes one port answers for, indexed by name. `T` is what a route leads to (a Router, in the front door). */
export class HostRoutes<T> {
  /** Exact names → their routes. */
  readonly #exact = new Map<string, NameRoutes<T>>();
  /** `*.example.com` → under key `example.com`. */
  readonly #wildcard = new Map<string, NameRoutes<T>>();
  /** id → its normalised names and prefix. */
  readonly #byId = new Map<string, { names: string[]; prefix: string; value: T }>();

  get size(): number {
    return this.#byId.size;
  }

  ids(): string[] {
    return [...this.#byId.keys()];
  }

  get(id: string): T | undefined {
    return this.#byId.get(id)?.value;
  }

  /** The routes as attached (normalised), in the order they were first attached. */
  list(): { id: string; names: string[]; pathPrefix: string }[] {
    return [...this.#byId].map(([id, r]) => ({ id, names: [...r.names], pathPrefix: r.prefix }));
  }

  /**
   * Adds a route, or replaces the one with the same id (its old names and prefix are dropped at once). A name and
   * prefix another route already has is refused, naming both routes, and nothing changes.
   */
  set(spec: HostRouteSpec, value: T): void {
    if (spec.id.length === 0) throw new SlipwayError('a route needs an id');
    if (spec.names.length === 0) {
      throw new SlipwayError(`route ${spec.id} has no names`, {
        hint: 'give it the host names it answers to',
      });
    }
    const names = [...new Set(spec.names.map(normaliseRouteName))];
    const prefix = normalisePathPrefix(spec.pathPrefix);
    for (const name of names) {
      const other = this.#lookupName(name)?.find((e) => e.prefix === prefix && e.id !== spec.id);
      if (other !== undefined) {
        const where = prefix === '/' ? name : `${name}${prefix}`;
        throw new SlipwayError(`routes ${other.id} and ${spec.id} both answer to ${where}`, {
          hint: `give ${spec.id} another name or path prefix, or detach ${other.id} first`,
        });
      }
    }
    this.delete(spec.id);
    this.#byId.set(spec.id, { names, prefix, value });
    const entry: Entry<T> = { id: spec.id, prefix, value };
    for (const name of names) {
      const [map, key] = name.startsWith('*.') ? [this.#wildcard, name.slice(2)] : [this.#exact, name];
      const routes = [...(map.get(key) ?? []), entry].sort((a, b) => b.prefix.length - a.prefix.length);
      map.set(key, routes);
    }
  }

  /** Removes a route; false when there was none with that id. */
  delete(id: string): boolean {
    const route = this.#byId.get(id);
    if (route === undefined) return false;
    this.#byId.delete(id);
    for (const name of route.names) {
      const [map, key] = name.startsWith('*.') ? [this.#wildcard, name.slice(2)] : [this.#exact, name];
      const rest = (map.get(key) ?? []).filter((e) => e.id !== id);
      if (rest.length === 0) map.delete(key);
      else map.set(key, rest);
    }
    return true;
  }

  /**
   * The route for a request: `hostName` as `requestHostName` gives it, `path` the request target (origin-form;
   * `*` matches only a route for the whole site). Undefined: no route answers to it.
   */
  match(hostName: string, path: string): { id: string; value: T } | undefined {
    let routes = this.#exact.get(hostName);
    if (routes === undefined) {
      const dot = hostName.indexOf('.');
      if (dot <= 0) return undefined;
      routes = this.#wildcard.get(hostName.slice(dot + 1));
      if (routes === undefined) return undefined;
    }
    for (let i = 0; i < routes.length; i++) {
      const e = routes[i] as Entry<T>;
      if (pathUnder(path, e.prefix)) return e;
    }
    return undefined;
  }

  /** The routes of a configured name (a wildcard is its own name here, not matched). */
  #lookupName(name: string): NameRoutes<T> | undefined {
    return name.startsWith('*.') ? this.#wildcard.get(name.slice(2)) : this.#exact.get(name);
  }
}
