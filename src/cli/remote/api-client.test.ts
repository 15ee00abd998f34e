import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, SlipwayError } from '../../core/errors.js';
import { ApiClient } from './api-client.js';
import type { SseMessage } from './sse-parser.js';

// The client against real HTTP servers on loopback port 0, each answering as a test needs.

let server: Server | null = null;

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = null;
});

describe('ApiClient requests', () => {
  it('sends the bearer token and JSON, and turns an error answer into a SlipwayError with the hint', async () => {
    const seen: Array<{ auth: string | undefined; body: string; url: string | undefined }> = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ auth: req.headers.authorization, body, url: req.url });
        res.writeHead(409, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'environment production is locked by ann', hint: 'wait for it' }));
      });
    });
    const client = new ApiClient({ server: `${url}/`, token: 'slp_abc' });
    const failure = await client
      .post('/environments/production/deployments', { release: '2.0.0' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConflictError);
    expect([(failure as SlipwayError).message, (failure as SlipwayError).hint]).toEqual([
      'environment production is locked by ann',
      'wait for it',
    ]);
    expect(seen).toEqual([
      {
        auth: 'Bearer slp_abc',
        body: '{"release":"2.0.0"}',
        url: '/api/v1/environments/production/deployments',
      },
    ]);
  });

  it('puts query parameters in the URL, leaving out undefined ones', async () => {
    const urls: Array<string | undefined> = [];
    const url = await serve((req, res) => {
      urls.push(req.url);
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    });
    await new ApiClient({ server: url, token: 't' }).get('/ledger', {
      environment: undefined,
      limit: 5,
      q: 'a b',
    });
    expect(urls).toEqual(['/api/v1/ledger?limit=5&q=a+b']);
  });
});

describe('ApiClient.events', () => {
  it('reconnects once with Last-Event-ID after the stream drops, and reads the state again then', async () => {
    const requests: Array<string | undefined> = [];
    const url = await serve((req, res) => {
      requests.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (requests.length === 1) {
        // Split mid-event on purpose, then drop the connection.
        res.write(': hello\n\nretry: 50\n\nid: 7\nevent: ledger\nda');
        // The rest once the first part is out; the connection drops once the rest is flushed.
        setTimeout(
          () => res.write('ta: {"seq":7}\n\nevent: step\ndata: {"i":1}\n\n', () => res.destroy()),
          20,
        );
      } else {
        res.write('id: 8\nevent: ledger\ndata: {"seq":8}\n\n');
      }
    });
    const opened: boolean[] = [];
    const stop = new AbortController();
    const got: SseMessage[] = [];
    const client = new ApiClient({ server: url, token: 't' });
    for await (const m of client.events({
      signal: stop.signal,
      onOpen: (again) => {
        opened.push(again);
        return Promise.resolve();
      },
    })) {
      got.push(m);
      if (got.length === 3) stop.abort();
    }
    expect(got).toEqual([
      { event: 'ledger', data: '{"seq":7}', id: '7' },
      { event: 'step', data: '{"i":1}', id: '7' },
      { event: 'ledger', data: '{"seq":8}', id: '8' },
    ]);
    expect(requests).toEqual([undefined, '7']);
    expect(opened).toEqual([false, true]);
  });

  it('gives up when the reopened stream closes again before sending anything', async () => {
    let count = 0;
    const url = await serve((_req, res) => {
      count++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (count === 1) res.write('event: job\ndata: {}\n\n');
      res.end();
    });
    const client = new ApiClient({ server: url, token: 't' });
    const read = async () => {
      for await (const _ of client.events({ signal: new AbortController().signal })) {
        // drain
      }
    };
    await expect(read()).rejects.toThrow('closed again right after reconnecting');
    expect(count).toBe(2);
  });

  it('a refused token on the stream is the same error as on a request', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unknown token"}');
    });
    const client = new ApiClient({ server: url, token: 't' });
    const read = async () => {
      for await (const _ of client.events({ signal: new AbortController().signal })) {
        // drain
      }
    };
    await expect(read()).rejects.toThrow('the server refused the token (unknown, revoked or expired)');
  });
});
