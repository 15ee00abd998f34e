import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Server as NetServer } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import type { ListenerProfile } from '../fast-path/client-connection.js';
import { createTlsAlpn01Front, type TlsAlpn01Source } from './acme-challenges.js';
import type { CertificateStore } from './certificate-store.js';
import {
  formatHsts,
  httpsRedirectRule,
  type HstsOptions,
  type HttpsRedirectOptions,
  type RedirectRule,
} from './https-redirect.js';
import { ROUTER_TLS_SETTINGS } from './tls-settings.js';

/** `Router.listen({ tls })`: the router's HTTPS port. */
export interface TlsListenOptions {
  port: number;
  /** Default: the plain port's host. */
  host?: string;
  /** The certificates, chosen by SNI and reloaded when their files change. */
  store: CertificateStore;
  /** Strict-Transport-Security on HTTPS answers (an app's own header wins); off unless given. */
  hsts?: HstsOptions | null;
  /** A client must finish its handshake within this time (default 10 s). */
  handshakeTimeoutMs?: number;
}

/** `Router.listen`'s options. */
export interface RouterListenOptions {
  /** The plain HTTP port. */
  port: number;
  host: string;
  /** Also listen with TLS (HTTPS) on `tls.port`: same routes, same fast path (docs/architecture.md). */
  tls?: TlsListenOptions;
  /**
   * Send the plain port's clients to HTTPS (308, path and query kept). On by default with `tls`, for the names a
   * certificate covers; `false` turns it off; without `tls` only when given (`when: 'all'`).
   */
  httpsRedirect?: HttpsRedirectOptions | false;
}

/** The plain port's profile: X-Forwarded-Proto http, and the redirect to HTTPS the options ask for. */
export function plainProfile(opts: RouterListenOptions, tlsPort: () => number | null): ListenerProfile {
  let redirect: RedirectRule | null = null;
  if (opts.httpsRedirect !== false && (opts.tls !== undefined || opts.httpsRedirect !== undefined)) {
    const store = opts.tls?.store;
    const covers = store === undefined ? () => false : (name: string) => store.covers(name);
    redirect = httpsRedirectRule(opts.httpsRedirect ?? {}, () => tlsPort() ?? 443, covers);
  }
  return { proto: 'http', ownAnswerFields: '', hsts: null, redirect };
}

/** The profile of a TLS listener's connections: X-Forwarded-Proto https, HSTS when on. */
export function tlsProfile(hsts: HstsOptions | null | undefined): ListenerProfile {
  const value = hsts === null || hsts === undefined ? null : formatHsts(hsts);
  return {
    proto: 'https',
    hsts: value,
    ownAnswerFields: value === null ? '' : `strict-transport-security: ${value}\r\n`,
    redirect: null,
  };
}

/**
 * A node:tls server with the router's settings (TLS 1.2+, ECDHE with AEAD ciphers, ALPN http/1.1, no client
 * certificates requested): each connection, once its handshake is done, goes to `accept` (the fast path, or
 * Node's http server when the fast path is off), exactly as a plain connection does. With `tlsAlpn01`, the
 * server that listens reads each ClientHello first and answers TLS-ALPN-01 validations (acme-challenges.ts).
 */
export function createTlsServer(
  options: TlsListenOptions,
  accept: (socket: TLSSocket, profile: ListenerProfile) => void,
  tlsAlpn01: TlsAlpn01Source | null = null,
): { server: NetServer; close: () => void; profile: ListenerProfile } {
  const profile = tlsProfile(options.hsts);
  const { store } = options;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const server = createServer(
    {
      ...ROUTER_TLS_SETTINGS,
      ...(store.defaultCredentials() ?? {}),
      SNICallback: store.sniCallback,
      ALPNProtocols: ['http/1.1'],
      handshakeTimeout: handshakeTimeoutMs,
      // No client certificates: none is asked for, so none is received, kept or logged.
      requestCert: false,
      noDelay: true,
    },
    (socket: TLSSocket) => accept(socket, profile),
  );
  // A failed handshake (unknown name, old protocol, a port scan) closes that socket; nothing is logged.
  server.on('tlsClientError', () => undefined);
  // Clients without SNI get the default certificate: follow it when it is reloaded or another is configured.
  const unsubscribe = store.onDefaultChange(() => {
    server.setSecureContext({ ...ROUTER_TLS_SETTINGS, ...(store.defaultCredentials() ?? {}) });
  });
  if (tlsAlpn01 === null) return { server, close: unsubscribe, profile };
  const front = createTlsAlpn01Front(server, tlsAlpn01, handshakeTimeoutMs);
  const close = (): void => {
    unsubscribe();
    front.close();
  };
  return { server: front.server, close, profile };
}

/**
 * The classic path's share of a listener's rules: a plain listener's redirect to HTTPS (true: answered), and on
 * a TLS listener HSTS (set before the app's answer, whose own header replaces it, as Node's writeHead does).
 */
export function applyListenerRules(
  req: IncomingMessage,
  res: ServerResponse,
  redirect: RedirectRule | null,
  tls: ListenerProfile | null,
): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) {
    if (tls?.hsts != null) res.setHeader('strict-transport-security', tls.hsts);
    return false;
  }
  const to = redirect?.(req.headers.host, req.method ?? 'GET', req.url ?? '/') ?? null;
  if (to === null) return false;
  res.writeHead(to.status, { location: to.location, 'content-length': 0 });
  res.end();
  return true;
}

/** An Upgrade (WebSocket) on a redirecting plain listener: answered with the redirect, then closed. */
export function redirectUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  redirect: RedirectRule | null,
): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return false;
  const to = redirect?.(req.headers.host, req.method ?? 'GET', req.url ?? '/') ?? null;
  if (to === null) return false;
  socket.on('error', () => undefined);
  socket.end(
    `HTTP/1.1 ${to.status} ${to.status === 301 ? 'Moved Permanently' : 'Permanent Redirect'}\r\n` +
      `location: ${to.location}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
  );
  return true;
}

const CLIENT_ERROR_ANSWERS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/**
 * Node's server's answer to a request it cannot parse (its own `socketOnError`: 400, 431, 408 unless an answer
 * has begun), with one difference on a TLS socket: Node destroys the socket right after writing the refusal, and
 * over TLS that refusal is lost when an earlier write (a `100 Continue`) is still being encrypted, so the client
 * saw its request neither answered nor refused (found by framing-differential.test.ts over TLS). A TLS socket is
 * ended instead, once the refusal is out.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const s = socket as Duplex & { _httpMessage?: { _headerSent?: boolean } | null; encrypted?: boolean };
  if (s.writable && (s._httpMessage == null || s._httpMessage._headerSent !== true)) {
    s.write(CLIENT_ERROR_ANSWERS[err.code ?? ''] ?? BAD_REQUEST, 'latin1');
  }
  if (s.encrypted !== true) {
    s.destroy(err);
    return;
  }
  (s as unknown as { destroySoon(): void }).destroySoon();
  setTimeout(() => s.destroy(), 5_000).unref(); // a client that does not read its refusal
}
