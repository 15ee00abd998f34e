/**
 * Test-only: a real HTTP server on a free loopback port that records what it was asked. Not imported by
 * production code.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach } from 'vitest';

export interface TestServer {
  url: string;
  /** host:port */
  host: string;
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }>;
  close: () => Promise<void>;
}

const open = new Set<TestServer>();
afterEach(async () => {
  await Promise.all([...open].map((server) => server.close()));
});

/** Starts a server that is closed after the current test. */
export async function startTestServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const testServer: TestServer = {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        open.delete(testServer);
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
  open.add(testServer);
  return testServer;
}

/** A loopback URL that nothing listens on (a port bound once, then released). */
export async function closedPortUrl(): Promise<string> {
  const server = await startTestServer(() => undefined);
  await server.close();
  return server.url;
}

export function answerJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
