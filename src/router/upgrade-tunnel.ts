import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { deriveUpgradeRequestHead } from './headers.js';
import { schemeOf } from './proxy-exchange.js';
import { parseRequestTarget } from './request-target.js';
import type { RouterTarget } from './router-target.js';

const BAD_GATEWAY = 'HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';
const BAD_TARGET = 'HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

/**
 * An HTTP Upgrade (WebSocket) passed through as raw TCP: the request head is sent again to the target, then
 * bytes are piped both ways. The tunnel counts as in flight until both sockets are closed, so drain waits
 * for it; destroying the client socket (drain timeout, router close) tears the whole tunnel down.
 */
export function startUpgradeTunnel(
  target: RouterTarget,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
): void {
  const requestTarget = parseRequestTarget(req.method ?? 'GET', req.url ?? '/');
  if (requestTarget.kind === 'invalid') {
    client.end(BAD_TARGET);
    return;
  }
  const upstream = connect({ host: target.host, port: target.address.port, noDelay: true });
  let status = 0;
  let connected = false;
  let clientOpen = true;
  let upstreamOpen = true;
  let ended = false;
  target.begin();
  target.tunnels.add(client);

  // Done when both sides are closed, or at once when the target could not be reached (only a 502 is left to
  // flush to the client).
  const closed = (): void => {
    if (ended || (upstreamOpen && clientOpen) || (connected && (upstreamOpen || clientOpen))) return;
    ended = true;
    target.tunnels.delete(client);
    target.end(connected ? status : 502, null, !connected);
  };

  upstream.once('connect', () => {
    connected = true;
    const requestHead = deriveUpgradeRequestHead(
      req.method ?? 'GET',
      requestTarget.path,
      req.rawHeaders,
      { clientAddress: req.socket.remoteAddress, proto: schemeOf(req.socket) },
      requestTarget.kind === 'absolute' ? requestTarget.authority : null,
    );
    upstream.write(requestHead, 'latin1');
    if (head.length > 0) upstream.write(head);
    upstream.once('data', (chunk: Buffer) => {
      status = parseStatus(chunk);
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  // 'close' follows every 'error'; the listeners only keep an error from being thrown.
  upstream.on('error', () => undefined);
  client.on('error', () => undefined);
  upstream.once('close', () => {
    if (!connected && client.writable) client.end(BAD_GATEWAY);
    // Let what the target sent last reach the client, then close it.
    (client as Socket).destroySoon();
    upstreamOpen = false;
    closed();
  });
  client.once('close', () => {
    upstream.destroy(); // nobody is left to read the answer
    clientOpen = false;
    closed();
  });
}

/** The status code of an HTTP/1.x status line at the start of a chunk; 0 when it is not one. */
export function parseStatus(chunk: Buffer): number {
  if (chunk.length < 12 || chunk.toString('latin1', 0, 5) !== 'HTTP/') return 0;
  const code = Number(chunk.toString('latin1', 9, 12));
  return Number.isInteger(code) ? code : 0;
}
