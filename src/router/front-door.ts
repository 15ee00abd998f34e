import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { answerHttp01, HTTP01_PREFIX } from '../certificates/challenges.js';
import type { FastRoute, ListenerProfile } from './fast-path/client-connection.js';
import type { RequestHead } from './fast-path/request-head.js';
import { HostRoutes, requestHostName, type HostRouteSpec } from './host-routes.js';
import { writeShortAnswer } from './proxy-exchange.js';
import { parseRequestTarget } from './request-target.js';
import type { Router } from './router.js';
import { RouterListener } from './router-listener.js';
import { http01FastAnswer, type Http01Source, type TlsAlpn01Source } from './tls/acme-challenges.js';
import { formatHsts, httpsRedirectRule, type HstsOptions, type RedirectRule } from './tls/https-redirect.js';
import {
  applyListenerRules,
  redirectUpgrade,
  tlsProfile,
  type TlsListenOptions,
} from './tls/tls-listener.js';

/** The ACME CA's validations the front door answers, from answers the ACME client changes while it is open. */
export interface FrontDoorAcmeAnswers {
  /** HTTP-01 on the plain port: `/.well-known/acme-challenge/<token>`, before any redirect or route. */
  http01?: Http01Source;
  /** TLS-ALPN-01 on the TLS port: a ClientHello offering only `acme-tls/1` for a name with an answer. */
  tlsAlpn01?: TlsAlpn01Source;
}

/** `FrontDoor.listen`'s options. The HTTPS redirect and HSTS are per route (`FrontDoorRoute`). */
export interface FrontDoorListenOptions {
  /** The plain HTTP port. */
  port: number;
  host: string;
  /** Also listen with TLS (HTTPS) on `tls.port`, the certificates chosen by SNI among `tls.store`'s. */
  tls?: Omit<TlsListenOptions, 'hsts'>;
  /** Answer an ACME CA's HTTP-01 and TLS-ALPN-01 validations. */
  acme?: FrontDoorAcmeAnswers;
}

/** A route at the front door: the names (and optional path prefix) its router answers to, and its HTTPS rules. */
export interface FrontDoorRoute extends HostRouteSpec {
  /**
   * Send this route's plain-HTTP requests to HTTPS (308, path and query kept) when a certificate of the door
   * covers their name (default true); false: served over plain HTTP too.
   */
  redirect?: boolean;
  /** Strict-Transport-Security on this route's HTTPS answers (an app's own header wins); off unless given. */
  hsts?: HstsOptions | null;
}

/** What a route leads to: its router and its rules, prepared once at `attach`. */
interface DoorRoute {
  router: Router;
  redirect: boolean;
  /** The Strict-Transport-Security value; null: none. */
  hsts: string | null;
  /** The same as a field line, for the router's own answers on the fast path. */
  hstsField: string;
  /** What Node's path applies to the route's HTTPS requests (HSTS). */
  tlsProfile: ListenerProfile | null;
}

export interface DetachResult {
  /** True when the route's requests (and tunnels) in flight all finished before the timeout. */
  drained: boolean;
  /** Still in flight at the timeout; they go on (the router is the caller's to close). */
  inFlight: number;
}

const NOT_FOUND_BODY = 'Not found: no app answers to this host name here (slipway router)\n';
const NOT_FOUND_ROUTE: FastRoute = { kind: 'unavailable', status: 404, body: NOT_FOUND_BODY };
const NOT_FOUND_UPGRADE = 'HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';
const IDLE_POLL_MS = 20;

/**
 * One port (and its TLS port) shared by many routers, each chosen per request by host name and path prefix
 * (host-routes.ts). The routers do not listen themselves (`Router.detached()`): the front door reads every
 * request, on the fast path or Node's server as a router's own listener would, and gives it to the chosen
 * router's handlers, so that switches, drains, canary splits, tripwires, edge pools and metrics stay per router.
 * A request is routed by its own Host (an absolute-form target's authority first), so the requests of one
 * keep-alive connection may go to different routers. A name no route answers to gets a plain 404.
 *
 * The HTTPS redirect and HSTS are the matched route's (`FrontDoorRoute`), decided per request. ACME validations are
 * answered before anything else: HTTP-01 on the plain port before the redirect and routing (the CA asks with the
 * name's Host, which may have no route yet, or be redirected), TLS-ALPN-01 on the TLS port by ClientHello.
 */
export class FrontDoor {
  readonly #routes = new HostRoutes<DoorRoute>();
  /** Set once, by `listen`. */
  #listener!: RouterListener;
  /** The plain port's redirect for names a certificate covers; null without TLS. */
  #redirect: RedirectRule | null = null;
  #http01: Http01Source | null = null;

  private constructor() {}

  static async listen(opts: FrontDoorListenOptions): Promise<FrontDoor> {
    const door = new FrontDoor();
    door.#http01 = opts.acme?.http01 ?? null;
    const store = opts.tls?.store;
    if (store !== undefined) {
      door.#redirect = httpsRedirectRule(
        {},
        () => door.tlsPort ?? 443,
        (name) => store.covers(name),
      );
    }
    const { port, host, tls } = opts;
    door.#listener = await RouterListener.listen(
      { port, host, tls, httpsRedirect: false },
      {
        routeFast: (head, profile) => door.#routeFast(head, profile),
        request: (req, res) => door.#onRequest(req, res),
        upgrade: (req, socket, head) => door.#onUpgrade(req, socket, head),
      },
      { tlsAlpn01: opts.acme?.tlsAlpn01 },
    );
    return door;
  }

  /** The plain HTTP port. */
  get port(): number {
    return this.#listener.port;
  }

  /** The HTTPS port; null without `tls`. */
  get tlsPort(): number | null {
    return this.#listener.tlsPort;
  }

  /**
   * Sends the requests for `route.names` (under `route.pathPrefix`) to `router` (a `Router.detached()`), from the
   * next request on, with the route's redirect and HSTS. Attaching an id again replaces its names, prefix, rules
   * and router at once. A name and prefix another route has is refused (the error names both routes) and nothing
   * changes.
   */
  attach(route: FrontDoorRoute, router: Router): void {
    const hsts = route.hsts === undefined || route.hsts === null ? null : formatHsts(route.hsts);
    this.#routes.set(route, {
      router,
      redirect: route.redirect !== false,
      hsts,
      hstsField: hsts === null ? '' : `strict-transport-security: ${hsts}\r\n`,
      tlsProfile: hsts === null ? null : tlsProfile(route.hsts),
    });
  }

  /**
   * Stops sending requests to the route at once (they get 404, or another route that matches them), then waits
   * up to `timeoutMs` for what its router has in flight to finish. The router is left open: close it (or attach
   * it again) afterwards. An unknown id resolves at once.
   */
  async detach(id: string, opts: { timeoutMs?: number } = {}): Promise<DetachResult> {
    const router = this.#routes.get(id)?.router;
    if (router === undefined || !this.#routes.delete(id)) return { drained: true, inFlight: 0 };
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      const inFlight = inFlightOf(router);
      if (inFlight === 0) return { drained: true, inFlight: 0 };
      if (Date.now() >= deadline) return { drained: false, inFlight };
      await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
    }
  }

  /** The attached routes (names normalised), in the order they were first attached. */
  routes(): { id: string; names: string[]; pathPrefix: string }[] {
    return this.#routes.list();
  }

  /** The router attached as `id`. */
  router(id: string): Router | undefined {
    return this.#routes.get(id)?.router;
  }

  /** Stops listening and cuts the front door's connections. Attached routers stay open (they are the caller's). */
  async close(): Promise<void> {
    await this.#listener.close();
  }

  #routeFast(head: RequestHead, profile: ListenerProfile): FastRoute {
    const plain = profile.proto === 'http';
    const http01 = this.#http01;
    if (plain && http01 !== null && head.target.startsWith(HTTP01_PREFIX)) {
      return http01FastAnswer(http01, head.method, head.target);
    }
    const host = hostHeader(head.rawHeaders);
    const route = this.#routes.match(requestHostName(host), head.target)?.value;
    if (route === undefined) return NOT_FOUND_ROUTE;
    if (plain) {
      const to = route.redirect ? (this.#redirect?.(host, head.method, head.target) ?? null) : null;
      if (to !== null)
        return { kind: 'answer', status: to.status, body: '', fields: `location: ${to.location}\r\n` };
      return route.router.handlers.routeFast(head, profile);
    }
    const fast = route.router.handlers.routeFast(head, profile);
    return route.hsts === null ? fast : withHsts(fast, route);
  }

  #match(req: IncomingMessage): DoorRoute | undefined {
    const url = req.url ?? '/';
    const target = parseRequestTarget(req.method ?? 'GET', url);
    const authority = target.kind === 'absolute' ? target.authority : null;
    const path = target.kind === 'invalid' ? url : target.path;
    return this.#routes.match(requestHostName(req.headers.host, authority), path)?.value;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const plain = (req.socket as { encrypted?: boolean }).encrypted !== true;
    if (plain && this.#http01 !== null && answerHttp01(this.#http01, req, res)) return;
    const route = this.#match(req);
    if (route === undefined) {
      writeShortAnswer(res, 404, NOT_FOUND_BODY);
      return;
    }
    // The route's rules, as a router's own listener applies its own: a redirect (plain), HSTS (TLS).
    if (applyListenerRules(req, res, route.redirect ? this.#redirect : null, route.tlsProfile)) return;
    route.router.handlers.request(req, res);
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const route = this.#match(req);
    if (route !== undefined) {
      if (route.redirect && redirectUpgrade(req, socket, this.#redirect)) return;
      route.router.handlers.upgrade(req, socket, head);
      return;
    }
    socket.on('error', () => undefined);
    socket.end(NOT_FOUND_UPGRADE);
  }
}

/** A route's answer over TLS with its HSTS: on the app's answers (unless they carry their own) and the router's. */
function withHsts(fast: FastRoute, route: DoorRoute): FastRoute {
  switch (fast.kind) {
    case 'proxy':
      return { ...fast, hsts: route.hsts };
    case 'unavailable':
      return { kind: 'answer', status: fast.status ?? 503, body: fast.body, fields: route.hstsField };
    case 'answer':
      return { ...fast, fields: fast.fields + route.hstsField };
    case 'classic':
      return fast;
  }
}

/** The Host header's value (the fast path takes only requests with exactly one). */
function hostHeader(raw: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') return raw[i + 1];
  }
  return undefined;
}

/** What a router has in flight: requests and tunnels of all its targets. */
function inFlightOf(router: Router): number {
  return router.metrics().reduce((sum, m) => sum + m.inFlight, 0);
}
