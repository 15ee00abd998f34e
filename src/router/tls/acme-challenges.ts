/**
 * Answering an ACME CA's validations at the front door (RFC 8555 §8.3 HTTP-01, RFC 8737 TLS-ALPN-01), from
 * answers the ACME client (src/certificates) keeps in memory and changes while the door is open: they are read
 * per request and per handshake, never copied.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContext, type Server as TlsServer } from 'node:tls';
import { ACME_TLS_ALPN, HTTP01_PREFIX } from '../../certificates/challenges.js';
import type { FastRoute } from '../fast-path/client-connection.js';
import { readClientHello, type ClientHelloInfo } from './client-hello.js';
import { ROUTER_TLS_SETTINGS } from './tls-settings.js';

/** The HTTP-01 answers: key authorization by token (`Http01Answers` of src/certificates/challenges.ts). */
export interface Http01Source {
  get(token: string): string | undefined;
}

/** The TLS-ALPN-01 answers: the challenge certificate by server name (`TlsAlpn01Answers`). */
export interface TlsAlpn01Source {
  contextFor(servername: string): SecureContext | undefined;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;
const NO_CHALLENGE = 'no such ACME challenge\n';
const NO_STORE = 'cache-control: no-store\r\n';

/**
 * The fast path's answer to a request for `/.well-known/acme-challenge/<token>` (the caller checked the prefix),
 * as `answerHttp01` gives it on Node's server: the key authorization for GET and HEAD, 404 for a token with no
 * answer, 405 for any other method.
 */
export function http01FastAnswer(answers: Http01Source, method: string, target: string): FastRoute {
  const token = target.slice(HTTP01_PREFIX.length).split('?')[0] ?? '';
  const readable = method === 'GET' || method === 'HEAD';
  const answer = readable && TOKEN.test(token) ? answers.get(token) : undefined;
  if (answer === undefined) {
    return { kind: 'answer', status: readable ? 404 : 405, body: NO_CHALLENGE, fields: NO_STORE };
  }
  return {
    kind: 'answer',
    status: 200,
    body: answer,
    fields: NO_STORE,
    contentType: 'application/octet-stream',
  };
}

/** A ClientHello of a TLS-ALPN-01 validation that `answers` has a certificate for: it offers only acme-tls/1. */
export function isTlsAlpn01Hello(hello: ClientHelloInfo, answers: TlsAlpn01Source): boolean {
  return (
    hello.alpn !== null &&
    hello.alpn.length === 1 &&
    hello.alpn[0] === ACME_TLS_ALPN &&
    hello.serverName !== null &&
    answers.contextFor(hello.serverName) !== undefined
  );
}

/**
 * The TLS port when TLS-ALPN-01 is answered: a TCP server that reads each connection's ClientHello (client-hello.ts
 * says why), then hands the connection, its bytes put back, to `tlsServer` as they came; or, for a validation
 * `answers` has a certificate for, to a TLS server that serves that certificate with ALPN acme-tls/1 and ends the
 * connection after the handshake (RFC 8737 §3: no application data). A client that sends no ClientHello within
 * `handshakeTimeoutMs` is cut, as the TLS server's own handshake timeout would.
 */
export function createTlsAlpn01Front(
  tlsServer: TlsServer,
  answers: TlsAlpn01Source,
  handshakeTimeoutMs: number,
): { server: NetServer; close: () => void } {
  /** Sockets this front still answers for: reading a ClientHello, or ending a validation. */
  const held = new Set<Socket>();
  const validation = createTlsServer(
    {
      ...ROUTER_TLS_SETTINGS,
      ALPNProtocols: [ACME_TLS_ALPN],
      SNICallback: (name, cb) => {
        const context = answers.contextFor(name);
        if (context === undefined) cb(new Error('no TLS-ALPN-01 answer for this server name'));
        else cb(null, context);
      },
      handshakeTimeout: handshakeTimeoutMs,
      requestCert: false,
    },
    (socket) => {
      // Whatever the CA sends is read and dropped, so that its end is seen and the socket closes.
      held.add(socket);
      socket.once('close', () => held.delete(socket));
      socket.on('error', () => undefined);
      socket.setTimeout(handshakeTimeoutMs, () => socket.destroy());
      socket.resume();
      socket.end();
    },
  );
  validation.on('tlsClientError', () => undefined);
  const server = createNetServer({ noDelay: true }, (socket) => {
    held.add(socket);
    let buf: Buffer | null = null;
    const timer = setTimeout(() => socket.destroy(), handshakeTimeoutMs);
    const onData = (chunk: Buffer): void => {
      buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
      const read = readClientHello(buf);
      if (read.kind === 'incomplete') return;
      stopReading();
      socket.pause();
      socket.unshift(buf);
      const to = read.kind === 'hello' && isTlsAlpn01Hello(read.hello, answers) ? validation : tlsServer;
      to.emit('connection', socket);
    };
    const onError = (): void => undefined; // 'close' follows
    const stopReading = (): void => {
      clearTimeout(timer);
      held.delete(socket);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', stopReading);
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', stopReading);
  });
  return {
    server,
    close: () => {
      for (const socket of held) socket.destroy();
    },
  };
}
