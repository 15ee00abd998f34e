/**
 * Test-only helpers: real HTTP backends on port 0 and a cleanup stack. Not imported by production code.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach } from 'vitest';

export interface Backend {
  server: Server;
  port: number;
  url: string;
  /** Connections the backend has accepted so far. */
  connections: () => number;
  close: () => Promise<void>;
}

/** `port`: a given one (a host that listens again at its old address); default any free one. */
export async function startBackend(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  configure?: (server: Server) => void,
  port = 0,
): Promise<Backend> {
  const server = createServer(handler);
  configure?.(server);
  const sockets = new Set<Socket>();
  let accepted = 0;
  server.on('connection', (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    server,
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    connections: () => accepted,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}

/** A port that nothing listens on (bound once, then released). */
/** Ports freePort() handed out in this test worker: never handed out twice. */
const handedOut = new Set<number>();
/**
 * Where freePort() looks: below Linux's ephemeral range (32768-60999), where no `listen(0)` and no outgoing
 * connection takes a port, so a port handed out here and listened on a second later by a process the test starts
 * is not taken meanwhile by another test's router or client (in any worker).
 */
const FREE_PORT_RANGE = { from: 20_000, to: 32_000 };

/**
 * A port free right now, from FREE_PORT_RANGE. It is released before use; this worker's later freePort() calls
 * never return it again, and workers pick at random, so two of them rarely meet. For a port where nothing must
 * listen, use REFUSED_PORT.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port =
      FREE_PORT_RANGE.from + Math.floor(Math.random() * (FREE_PORT_RANGE.to - FREE_PORT_RANGE.from));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canListen(port)) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Registers an afterEach that runs the collected closers, last registered first. */
export function useCleanup(): (close: () => Promise<unknown> | void) => void {
  const closers: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    while (closers.length > 0) await closers.pop()?.();
  });
  return (close) => {
    closers.push(close);
  };
}

/** A promise with its resolver outside, for "the backend has received the request" style signals. */
export function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A request head a raw host read: its method and target. */
export interface SeenRequest {
  method: string;
  path: string;
}

export interface SilentHost {
  port: number;
  /** Every request head received so far, in order (health checks included). */
  seen: SeenRequest[];
  /** How many times `method path` was received. */
  count: (method: string, path: string) => number;
  /** Connections accepted and still open. */
  openConnections: () => number;
  /** From now on, answers every request (already received or not) `200 <name>`: its link is back. */
  answer: (name: string) => void;
  close: () => Promise<void>;
}

/**
 * A host whose link is cut: it accepts connections (the kernel would not, but the edge's keep-alive connections
 * were open before the cut) and reads requests, but answers nothing and never closes, until `answer()`.
 */
export async function startSilentHost(): Promise<SilentHost> {
  const sockets = new Set<Socket>();
  const seen: SeenRequest[] = [];
  let answerWith: string | null = null;
  const pending = new Map<Socket, number>();
  const reply = (socket: Socket, n: number): void => {
    const name = answerWith as string;
    for (let i = 0; i < n; i++) {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(name)}\r\n\r\n${name}`);
    }
  };
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      sockets.delete(socket);
      pending.delete(socket);
    });
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.slice(0, end);
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const bodyBytes = length ? Number(length[1]) : 0;
        if (buffered.length < end + 4 + bodyBytes) return;
        buffered = buffered.slice(end + 4 + bodyBytes);
        const [method = '', path = ''] = head.split('\r\n', 1)[0]?.split(' ') ?? [];
        seen.push({ method, path });
        if (answerWith !== null) reply(socket, 1);
        else pending.set(socket, (pending.get(socket) ?? 0) + 1);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    count: (method, path) => seen.filter((r) => r.method === method && r.path === path).length,
    openConnections: () => sockets.size,
    answer: (name) => {
      answerWith = name;
      for (const [socket, n] of pending) reply(socket, n);
      pending.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * A port where nothing listens, for good: 4 is privileged, unassigned and never listened on here, and not on the
 * fetch standard's list of blocked ports (1 is, and undici's fetch refuses it as "bad port" before connecting).
 * A port from freePort() is released before use, and a test running in parallel (or the kernel's next port 0)
 * may start listening on it in between: a CI run once got a 431 from an edge proxying to itself instead of a 502.
 */
export const REFUSED_PORT = 4;
