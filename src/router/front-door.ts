import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastRoute } from './fast-path/client-connection.js';
import type { RequestHead } from './fast-path/request-head.js';
import { HostRoutes, requestHostName, type HostRouteSpec } from './host-routes.js';
import { writeShortAnswer } from './proxy-exchange.js';
import { parseRequestTarget } from './request-target.js';
import type { Router } from './router.js';
import { RouterListener } from './router-listener.js';
import type { RouterListenOptions } from './tls/tls-listener.js';

/** `FrontDoor.listen`'s options: the same as a router's own listener (plain port, TLS port, redirect). */
export type FrontDoorListenOptions = RouterListenOptions;

/** A route at the front door: the names (and optional path prefix) its router answers to. */
export type FrontDoorRoute = HostRouteSpec;

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
 */
export class FrontDoor {
  readonly #routes = new HostRoutes<Router>();
  /** Set once, by `listen`. */
  #listener!: RouterListener;

  private constructor() {}

  static async listen(opts: FrontDoorListenOptions): Promise<FrontDoor> {
    const door = new FrontDoor();
    door.#listener = await RouterListener.listen(opts, {
      routeFast: (head) => door.#routeFast(head),
      request: (req, res) => door.#onRequest(req, res),
      upgrade: (req, socket, head) => door.#onUpgrade(req, socket, head),
    });
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
   * next request on. Attaching an id again replaces its names, prefix and router at once. A name and prefix
   * another route has is refused (the error names both routes) and nothing changes.
   */
  attach(route: FrontDoorRoute, router: Router): void {
    this.#routes.set(route, router);
  }

  /**
   * Stops sending requests to the route at once (they get 404, or another route that matches them), then waits
   * up to `timeoutMs` for what its router has in flight to finish. The router is left open: close it (or attach
   * it again) afterwards. An unknown id resolves at once.
   */
  async detach(id: string, opts: { timeoutMs?: number } = {}): Promise<DetachResult> {
    const router = this.#routes.get(id);
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
    return this.#routes.get(id);
  }

  /** Stops listening and cuts the front door's connections. Attached routers stay open (they are the caller's). */
  async close(): Promise<void> {
    await this.#listener.close();
  }

  #routeFast(head: RequestHead): FastRoute {
    const route = this.#routes.match(requestHostName(hostHeader(head.rawHeaders)), head.target);
    return route === undefined ? NOT_FOUND_ROUTE : route.value.handlers.routeFast(head);
  }

  #match(req: IncomingMessage): Router | undefined {
    const url = req.url ?? '/';
    const target = parseRequestTarget(req.method ?? 'GET', url);
    const authority = target.kind === 'absolute' ? target.authority : null;
    const path = target.kind === 'invalid' ? url : target.path;
    return this.#routes.match(requestHostName(req.headers.host, authority), path)?.value;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const router = this.#match(req);
    if (router === undefined) writeShortAnswer(res, 404, NOT_FOUND_BODY);
    else router.handlers.request(req, res);
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const router = this.#match(req);
    if (router !== undefined) {
      router.handlers.upgrade(req, socket, head);
      return;
    }
    socket.on('error', () => undefined);
    socket.end(NOT_FOUND_UPGRADE);
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
