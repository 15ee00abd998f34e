import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookRequest, WebhookResponse } from './webhook-handler.js';

export interface WebhookListener {
  url: string;
  close(): Promise<void>;
}

/** Reads a request body, or answers null as soon as it exceeds `limit` bytes (it is not read further). */
export function readBodyLimited(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The standalone listener of `slipway webhook`: node:http around the handler, JSON answers. */
export async function serveWebhook(
  handler: (request: WebhookRequest) => Promise<WebhookResponse>,
  options: { port: number; bindAddress: string; maxBodyBytes: number; onError(err: unknown): void },
): Promise<WebhookListener> {
  const server: Server = createServer((req, res) => {
    const answer = (response: WebhookResponse, close = false): void => {
      res.writeHead(response.status, {
        'content-type': 'application/json',
        ...(close ? { connection: 'close' } : {}),
      });
      res.end(`${JSON.stringify(response.body)}\n`);
    };
    void (async () => {
      const body = await readBodyLimited(req, options.maxBodyBytes);
      if (body === null) return answer({ status: 413, body: { error: 'body too large' } }, true);
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      answer(
        await handler({
          method: req.method ?? 'GET',
          headers,
          body,
          ...(req.socket.remoteAddress ? { remoteAddress: req.socket.remoteAddress } : {}),
        }),
      );
    })().catch((err: unknown) => {
      options.onError(err);
      if (!res.headersSent) answer({ status: 500, body: { error: 'internal error' } });
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.bindAddress, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.bindAddress.includes(':') ? `[${options.bindAddress}]` : options.bindAddress;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
