import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastRoute, ListenerProfile } from './fast-path/client-connection.js';
import { FastPathServer } from './fast-path/fast-path-server.js';
import type { RequestHead } from './fast-path/request-head.js';
import { closeServer, listenOn } from './listen.js';
import type { TlsAlpn01Source } from './tls/acme-challenges.js';
import type { RedirectRule } from './tls/https-redirect.js';
import {
  answerClientError,
  applyListenerRules,
  createTlsServer,
  plainProfile,
  redirectUpgrade,
  type RouterListenOptions,
} from './tls/tls-listener.js';

/** The router is a reverse proxy, not a tunnel: CONNECT is refused (Node would close the socket without a word). */
const CONNECT_REFUSED = 'HTTP/1.1 405 Method Not Allowed\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

/** What a listener hands each request to: a router's own handlers, or a front door's choice among routers. */
export interface RequestHandlers {
  /** A fast-path request head (one Host, origin-form): where it goes; `profile`: the listener it came in on. */
  routeFast(head: RequestHead, profile: ListenerProfile): FastRoute;
  /** A request on Node's server (the classic path). */
  request(req: IncomingMessage, res: ServerResponse): void;
  /** An Upgrade (WebSocket) request on Node's server. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** What only a front door asks of its listener. */
export interface ListenerExtras {
  /** Answer TLS-ALPN-01 validations on the TLS port from these certificates (acme-challenges.ts). */
  tlsAlpn01?: TlsAlpn01Source;
}

/**
 * A public port and, with `tls`, its HTTPS port: the fast path (or Node's server when SLIPWAY_ROUTER_FAST_PATH=0),
 * TLS connections entering the same way once their handshake is done, the listener's own rules (HTTPS redirect,
 * HSTS) before the handlers see a request, and CONNECT refused. A Router listens with one; a FrontDoor with one
 * for all its routes.
 */
export class RouterListener {
  readonly #server: Server;
  readonly #fastPath: FastPathServer | null;
  readonly #tls: { server: NetServer; close: () => void; profile: ListenerProfile } | null = null;
  readonly #redirect: RedirectRule | null;

  private constructor(opts: RouterListenOptions, handlers: RequestHandlers, extras: ListenerExtras) {
    const plain = plainProfile(opts, () => this.tlsPort);
    const redirect = plain.redirect;
    this.#redirect = redirect;
    this.#server = createServer((req, res) => {
      const tls = this.#tls;
      if ((redirect !== null || tls !== null) && applyListenerRules(req, res, redirect, tls?.profile ?? null))
        return;
      handlers.request(req, res);
    });
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (redirect !== null && redirectUpgrade(req, socket, redirect)) return;
      handlers.upgrade(req, socket, head);
    });
    this.#server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      socket.on('error', () => undefined);
      socket.end(CONNECT_REFUSED);
    });
    const fast =
      process.env.SLIPWAY_ROUTER_FAST_PATH === '0'
        ? null
        : new FastPathServer(
            {
              route: (head, profile) => handlers.routeFast(head, profile),
              handOff: (socket) => this.#server.emit('connection', socket),
            },
            plain,
          );
    this.#fastPath = fast;
    // TLS connections, once their handshake is done, take the same way as the plain port's.
    if (opts.tls !== undefined) {
      this.#server.on('clientError', answerClientError);
      this.#tls = createTlsServer(
        opts.tls,
        (socket, profile) =>
          fast === null ? this.#server.emit('connection', socket) : fast.accept(socket, profile),
        extras.tlsAlpn01 ?? null,
      );
    }
    // Node's server starts tracking connections (closeAllConnections, the headers and request timeouts that
    // guard against slowloris) on 'listening'; it never listens itself when the fast path owns the port.
    if (fast !== null) this.#server.emit('listening');
  }

  /** Listens on the plain port (and the TLS port); rejects with the reason (port in use …), closed again. */
  static async listen(
    opts: RouterListenOptions,
    handlers: RequestHandlers,
    extras: ListenerExtras = {},
  ): Promise<RouterListener> {
    const listener = new RouterListener(opts, handlers, extras);
    try {
      await listenOn(listener.#plain, opts);
      if (listener.#tls !== null && opts.tls)
        await listenOn(listener.#tls.server, { port: opts.tls.port, host: opts.tls.host ?? opts.host });
    } catch (err) {
      await listener.close();
      throw err;
    }
    return listener;
  }

  /** The plain port's listener: the fast path's TCP server, or Node's http server when it is off. */
  get #plain(): NetServer | Server {
    return this.#fastPath?.server ?? this.#server;
  }

  /** The plain HTTP port. */
  get port(): number {
    return (this.#plain.address() as AddressInfo).port;
  }

  /** The HTTPS port; null without `tls`, and while it does not listen (yet, or any more). */
  get tlsPort(): number | null {
    const address = this.#tls?.server.address() as AddressInfo | null | undefined;
    return address?.port ?? null;
  }

  /** Stops listening and cuts the connections. */
  async close(): Promise<void> {
    // Without the fast path Node's server listens; with it, Node's server only holds handed-off connections.
    // (close() also stops its connection checks; not listening, it just calls back with an error.)
    const closedHttp = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const closedTls = this.#tls === null ? null : closeServer(this.#tls.server);
    this.#tls?.close();
    const closed = Promise.all([closedHttp, this.#fastPath?.close(), closedTls]);
    this.#server.closeAllConnections();
    await closed;
  }
}
