// Answering the CA's challenges. The issuer hands each challenge to a responder; the router serves what the
// responder holds: HTTP-01 on port 80 at /.well-known/acme-challenge/<token>, TLS-ALPN-01 on port 443 as a
// certificate for connections that offer the `acme-tls/1` protocol (RFC 8737).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureContext, type SecureContext } from 'node:tls';

export const HTTP01_PREFIX = '/.well-known/acme-challenge/';
export const ACME_TLS_ALPN = 'acme-tls/1';

/** Where the issuer puts an HTTP-01 answer while the CA validates it, and takes it away after. */
export interface Http01Responder {
  set(token: string, keyAuthorization: string): void | Promise<void>;
  remove(token: string): void | Promise<void>;
}

/** Where the issuer puts a TLS-ALPN-01 certificate for a name while the CA validates it. */
export interface TlsAlpn01Responder {
  set(name: string, answer: { certificate: string; key: string }): void | Promise<void>;
  remove(name: string): void | Promise<void>;
}

/** The HTTP-01 answers in memory: what the issuer and the router's port-80 handler share in one process. */
export class Http01Answers implements Http01Responder {
  readonly #answers = new Map<string, string>();
  set(token: string, keyAuthorization: string): void {
    this.#answers.set(token, keyAuthorization);
  }
  remove(token: string): void {
    this.#answers.delete(token);
  }
  get(token: string): string | undefined {
    return this.#answers.get(token);
  }
}

/**
 * Answers a request for /.well-known/acme-challenge/<token> from `answers` and returns true; returns false (and
 * touches nothing) for any other path, for the caller to serve. An unknown token is a 404. Use it first in the
 * port-80 handler: before the HTTP→HTTPS redirect, before routing by host (the CA asks with the name's Host).
 */
export function answerHttp01(
  answers: { get(token: string): string | undefined },
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  const url = req.url ?? '';
  if (!url.startsWith(HTTP01_PREFIX)) return false;
  const token = url.slice(HTTP01_PREFIX.length).split('?')[0] ?? '';
  const answer = /^[A-Za-z0-9_-]+$/.test(token) ? answers.get(token) : undefined;
  if ((req.method !== 'GET' && req.method !== 'HEAD') || answer === undefined) {
    res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 404 : 405, {
      'content-type': 'text/plain',
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : 'no such ACME challenge\n');
    return true;
  }
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': Buffer.byteLength(answer),
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : answer);
  return true;
}

/**
 * The TLS-ALPN-01 certificates in memory, as secure contexts by server name. A TLS listener serves
 * `contextFor(servername)` to a client that offered only `acme-tls/1` (the CA does; browsers never do), and its
 * normal certificate otherwise.
 */
export class TlsAlpn01Answers implements TlsAlpn01Responder {
  readonly #contexts = new Map<string, SecureContext>();
  set(name: string, answer: { certificate: string; key: string }): void {
    this.#contexts.set(
      name.toLowerCase(),
      createSecureContext({ cert: answer.certificate, key: answer.key }),
    );
  }
  remove(name: string): void {
    this.#contexts.delete(name.toLowerCase());
  }
  contextFor(servername: string): SecureContext | undefined {
    return this.#contexts.get(servername.toLowerCase());
  }
}
