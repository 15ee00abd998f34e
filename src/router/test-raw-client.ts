/**
 * Test-only: a raw TCP client for the router, for what an HTTP client library will not send (pipelining,
 * smuggling attempts, aborts at a chosen byte) or hides (framing headers, interim answers).
 */
import type { Socket } from 'node:net';
import { openClientSocket, type TlsClient } from './test-router.js';

export interface RawClient {
  socket: Socket;
  /** Everything received so far, latin1. */
  text(): string;
  /** Resolves with the text once `done(text)` holds; rejects when the connection closes first. */
  waitFor(done: (text: string) => boolean): Promise<string>;
  /** Resolves with the text when the router closes the connection. */
  closed: Promise<string>;
}

/** `tls`: over TLS to a router's TLS port (the test CA trusted), once the handshake is done. */
export async function connectRaw(port: number, opts: { tls?: TlsClient } = {}): Promise<RawClient> {
  let socket!: Socket;
  await new Promise<void>((resolve, reject) => {
    socket = openClientSocket(port, opts.tls ?? false, resolve);
    socket.once('error', reject);
  });
  let received = '';
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    for (const check of [...waiters]) check();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => {
    socket.once('close', () => {
      resolve(received);
      for (const check of [...waiters]) check();
    });
  });
  return {
    socket,
    text: () => received,
    closed,
    waitFor: (done) =>
      new Promise<string>((resolve, reject) => {
        const check = (): void => {
          if (done(received)) {
            waiters.delete(check);
            resolve(received);
          } else if (socket.destroyed) {
            waiters.delete(check);
            reject(new Error(`connection closed; received: ${JSON.stringify(received.slice(0, 500))}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

/** The status codes of the answers in `text`, in order (bodies in tests do not contain status lines). */
export function statusLines(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}
