/**
 * Test-only: the differential framing harness. Node's own HTTP parser (llhttp, through `_http_common`, the same
 * parser and settings Node's http server and client use) says where each message in a byte stream ends; a plain
 * `http.Server` is the reference for requests; a backend records the raw bytes the router sends it. A router that
 * forwards a request the reference did not see, or ends one somewhere else, fails the property that uses this.
 */
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { openClientSocket } from './test-router.js';
import type { AddressInfo } from 'node:net';

interface ParserCtor {
  new (): Parser;
  REQUEST: number;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
}
interface Parser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(buf: Buffer): number | Error;
  finish(): Error | undefined;
  close(): void;
  [key: number]: unknown;
}

const require = createRequire(import.meta.url);
const common = require('_http_common') as { HTTPParser: ParserCtor; methods: string[] };
const { HTTPParser, methods: METHODS } = common;

/** One message as Node's parser read it. */
export interface ParsedMessage {
  method: string;
  url: string;
  status: number;
  rawHeaders: string[];
  body: string;
  upgrade: boolean;
}

export interface ParsedStream {
  /** Complete messages, in order. */
  messages: ParsedMessage[];
  /** The parser refused the bytes after the last complete message. */
  error: string | null;
  /** Bytes of a message were left without its end (a partial head or body). */
  partial: boolean;
  /** Parsing stopped at an upgrade (or CONNECT): what follows is a tunnel's. */
  upgraded: boolean;
}

/**
 * Reads a byte stream as Node does. For answers, `requestMethods` tells which answer is to a HEAD (no body);
 * `atEof` says the stream ended there (a close-delimited answer ends with it).
 */
export function parseHttpStream(
  bytes: Buffer,
  kind: 'request' | 'response',
  opts: { requestMethods?: readonly string[]; atEof?: boolean } = {},
): ParsedStream {
  const parser = new HTTPParser();
  parser.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, 0, 0);
  const messages: ParsedMessage[] = [];
  let current: ParsedMessage | null = null;
  let pendingHeaders: string[] = [];
  let pendingUrl = '';
  let finals = 0;
  let upgraded = false;
  parser[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
    pendingHeaders.push(...headers);
    pendingUrl += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (
    _major: number,
    _minor: number,
    headers: string[] | undefined,
    method: number | undefined,
    url: string | undefined,
    status: number | undefined,
    _message: string,
    upgrade: boolean,
  ) => {
    current = {
      method: method === undefined ? '' : (METHODS[method] ?? String(method)),
      url: url ?? pendingUrl,
      status: status ?? 0,
      rawHeaders: headers ?? pendingHeaders,
      body: '',
      upgrade,
    };
    pendingHeaders = [];
    pendingUrl = '';
    if (kind === 'response' && current.status >= 200) {
      const method = opts.requestMethods?.[finals++];
      if (method === 'HEAD') return 1; // no body
    }
    if (upgrade) upgraded = true;
    return 0;
  };
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
    if (current !== null) current.body += chunk.toString('latin1');
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    if (current !== null) messages.push(current);
    current = null;
  };
  let error: string | null = null;
  const result = parser.execute(bytes);
  if (result instanceof Error) error = (result as Error & { code?: string }).code ?? result.message;
  let partial = false;
  if (error === null && !upgraded) {
    // At EOF a request parser is fine between messages only; an answer parser ends a close-delimited body there.
    if (kind === 'request' || opts.atEof) partial = parser.finish() instanceof Error;
    else partial = current !== null;
  }
  parser.close();
  return { messages, error, partial, upgraded };
}

/** Final answers only (1xx interim ones are not counted). */
export function finalAnswers(stream: ParsedStream): ParsedMessage[] {
  return stream.messages.filter((m) => m.status >= 200);
}

/** A request as an app behind the router saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  host: string | undefined;
  body: string;
  /** An Upgrade or CONNECT request: what follows its head belongs to a tunnel, not to it. */
  upgrade: boolean;
}

export interface RecordingServer {
  port: number;
  /** Requests handled, in the order their bodies ended. */
  requests: SeenRequest[];
  /** Raw bytes received, per accepted connection, in accept order. */
  connections: Buffer[][];
  close(): Promise<void>;
}

/**
 * A plain Node http.Server (default options) that answers every request 200 `ok` after reading its body, and
 * records what it parsed and the raw bytes each connection carried.
 */
export async function startRecordingServer(): Promise<RecordingServer> {
  const requests: SeenRequest[] = [];
  const connections: Buffer[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        host: req.headers.host,
        body: Buffer.concat(chunks).toString('latin1'),
        upgrade: false,
      });
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    });
  });
  // Upgrades and CONNECT: the request is recorded and refused; the connection ends there.
  const refuse = (req: IncomingMessage, socket: Socket): void => {
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      host: req.headers.host,
      body: '',
      upgrade: true,
    });
    socket.end('HTTP/1.1 501 Not Implemented\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  };
  server.on('upgrade', refuse);
  server.on('connect', refuse);
  server.on('connection', (socket: Socket) => {
    const received: Buffer[] = [];
    connections.push(received);
    sockets.add(socket);
    socket.prependListener('data', (chunk: Buffer) => received.push(chunk));
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** How long a client that expects no answer listens for one anyway. */
const NOTHING_EXPECTED_MS = 50;

export interface Exchange {
  /** Everything the client received, latin1. */
  received: Buffer;
  /** The server closed the connection. */
  closed: boolean;
  /** Neither the expected answers nor a close came within the wait. */
  timedOut: boolean;
}

/**
 * Sends `bytes` on one connection (over TLS with `tls`, to a router's TLS port) and reads until `expectedAnswers`
 * final answers (HEAD-aware through `requestMethods`) have arrived, the server closes, or `waitMs` passes (counted
 * from when the connection can carry bytes).
 */
export function sendRaw(
  port: number,
  bytes: Buffer,
  expectedAnswers: number,
  requestMethods: readonly string[],
  waitMs: number,
  tls = false,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (closed: boolean, timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closed, timedOut });
    };
    const socket = openClientSocket(port, tls, () => {
      // Nothing to wait for but a close or a stray answer: a short look is enough.
      timer =
        expectedAnswers === 0
          ? setTimeout(() => done(false, false), NOTHING_EXPECTED_MS)
          : setTimeout(() => done(false, true), waitMs);
      socket.write(bytes);
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const answers = finalAnswers(parseHttpStream(Buffer.concat(chunks), 'response', { requestMethods }));
      if (answers.length >= expectedAnswers) done(false, false);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => done(true, false));
  });
}

/** A raw TCP app: for each request it reads (Node's parser), it writes the next scripted answer bytes. */
export interface ScriptedApp {
  port: number;
  /** The answers to give, in order, from now on; `close` ends the socket after the answer. */
  script(answers: readonly { bytes: Buffer; close: boolean }[]): void;
  /** The requests read since the last `script`, with the index of the answer each was given (-1: none left). */
  log(): { url: string; answer: number }[];
  close(): Promise<void>;
}

export async function startScriptedApp(): Promise<ScriptedApp> {
  let answers: readonly { bytes: Buffer; close: boolean }[] = [];
  let next = 0;
  let log: { url: string; answer: number }[] = [];
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    let ended = false;
    socket.on('data', (chunk: Buffer) => {
      if (ended) return;
      pending = Buffer.concat([pending, chunk]);
      const parsed = parseHttpStream(pending, 'request');
      if (parsed.messages.length === 0) return;
      // The router sends one request at a time on a connection and waits for its answer.
      pending = Buffer.alloc(0);
      for (const message of parsed.messages) {
        const index = next < answers.length ? next++ : -1;
        log.push({ url: message.url, answer: index });
        const answer = answers[index];
        if (answer === undefined) {
          ended = true;
          socket.destroy();
          return;
        }
        socket.write(answer.bytes);
        if (answer.close) {
          ended = true;
          socket.end();
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    script(list) {
      answers = list;
      next = 0;
      log = [];
    },
    log: () => log,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** RFC 9112 §4 and RFC 9110 §5: a status line and field lines, byte for byte, CRLF ends. */
const STATUS_LINE = /^HTTP\/1\.[01] \d{3}(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const FIELD_LINE =
  /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t ]*(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?[\t ]*$/;

/**
 * The final answer head in `bytes` is one RFC 9112 lets a recipient refuse, though Node's client may read it: a
 * status line or field line that breaks the grammar (a control character in the reason, obs-fold, bare LF), or
 * framing §6.3 calls unrecoverable (more than one Content-Length or Transfer-Encoding line, or both), or a
 * Transfer-Encoding with a tab (RFC whitespace that Node's parser does not skip there). The router may answer 502.
 */
export function mayRefuseAnswer(bytes: Buffer): boolean {
  const text = bytes.toString('latin1');
  let start = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', start);
    if (end === -1) return true; // no head that ends with CRLF CRLF
    const head = text.slice(start, end);
    start = end + 4;
    if (/^HTTP\/1\.[01] 1\d\d/.test(head) && !head.startsWith('HTTP/1.1 101')) continue; // interim
    const [statusLine = '', ...fields] = head.split('\r\n');
    if (!STATUS_LINE.test(statusLine) || fields.some((line) => !FIELD_LINE.test(line))) return true;
    if (fields.some((l) => /^transfer-encoding:.*\t/i.test(l))) return true; // read two ways (see response-head.ts)
    const lengths = fields.filter((l) => /^content-length:/i.test(l)).length;
    const codings = fields.filter((l) => /^transfer-encoding:/i.test(l)).length;
    return lengths > 1 || codings > 1 || (lengths > 0 && codings > 0);
  }
}

/** Bytes as a copy-pasteable string for failure messages. */
export function showBytes(bytes: Buffer | string): string {
  return JSON.stringify(typeof bytes === 'string' ? bytes : bytes.toString('latin1'));
}
