import { chmod, rm } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { SlipwayError } from '../core/errors.js';
import type { AgentMethods, AgentResponseLine } from './protocol.js';

/** A protocol's methods: each with its params and result (the agent's, the router process's). */
export type MethodMap<T> = { [M in keyof T]: { params: unknown; result: unknown } };

export interface HandlerContext {
  /** Sends an event line for a streaming method. */
  emit(event: unknown): void;
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
}

export type Handlers<Methods extends MethodMap<Methods>> = {
  [M in keyof Methods]: (params: Methods[M]['params'], ctx: HandlerContext) => Promise<Methods[M]['result']>;
};

export type AgentHandlers = Handlers<AgentMethods>;

export interface ControlServer {
  /** Stops listening and ends open client connections (a bridge or a `logs --follow` must not keep a stopping
   * agent alive). */
  close(): Promise<void>;
}

/** Serves the JSON-lines control protocol on a unix socket (0600: only the agent's user may talk to it). */
export async function serveControlSocket<Methods extends MethodMap<Methods>>(
  socketPath: string,
  handlers: Handlers<Methods>,
  who = 'agent',
): Promise<ControlServer> {
  await removeStaleSocket(socketPath, who);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    handleConnection(socket, handlers, who);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function handleConnection(socket: Socket, handlers: Record<string, unknown>, who: string): void {
  const aborter = new AbortController();
  socket.on('close', () => aborter.abort());
  socket.on('error', () => aborter.abort());
  const send = (line: AgentResponseLine): void => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(line)}\n`);
  };
  const lines = createInterface({ input: socket, crlfDelay: Infinity });
  lines.on('line', (text) => {
    if (!text.trim()) return;
    let request: { id: number; method: string; params: unknown };
    try {
      request = JSON.parse(text) as { id: number; method: string; params: unknown };
    } catch {
      send({ id: -1, error: { code: 'BadRequest', message: 'request is not valid JSON' } });
      return;
    }
    const handler = (Object.hasOwn(handlers, request.method) ? handlers[request.method] : undefined) as
      ((params: unknown, ctx: HandlerContext) => Promise<unknown>) | undefined;
    if (!handler) {
      send({
        id: request.id,
        error: { code: 'UnknownMethod', message: `unknown ${who} method ${String(request.method)}` },
      });
      return;
    }
    const ctx: HandlerContext = { emit: (event) => send({ id: request.id, event }), signal: aborter.signal };
    handler(request.params ?? {}, ctx).then(
      (result) => send({ id: request.id, result }),
      (err: unknown) => send({ id: request.id, error: toWireError(err) }),
    );
  });
}

function toWireError(err: unknown): { code: string; message: string; hint?: string } {
  if (err instanceof SlipwayError) {
    return { code: err.name, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
  return { code: 'Internal', message: err instanceof Error ? err.message : String(err) };
}

/** A socket file left by a dead agent is removed; one that still answers means another agent runs here. */
async function removeStaleSocket(socketPath: string, who: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) {
    throw new SlipwayError(`another ${who} already listens on ${socketPath}`, {
      hint: 'stop it first (slipway agent stop) or use another agent home',
    });
  }
  await rm(socketPath, { force: true });
}
