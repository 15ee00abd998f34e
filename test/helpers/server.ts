import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { generateApiToken, hashApiToken } from '../../src/server/auth/api-token.js';
import { parseGrant } from '../../src/server/auth/roles.js';
import { openStore, type StoreLocation } from '../../src/store/index.js';
import { CLI, freePort, type TestProject } from './project.js';

export interface TestServer {
  url: string;
  pid: number;
  /** Everything the server printed so far (for failure messages). */
  output(): string;
  /** Creates an API token with these grants (e.g. ['deployer:production']) directly in the project's store. */
  token(subject: string, roles: string[]): Promise<string>;
  /** fetch relative to the server's URL with the token as bearer. */
  fetch(path: string, token: string | null, init?: RequestInit): Promise<Response>;
  /** SIGTERM by pid, SIGKILL if it lingers; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** Where the project's store is: the PostgreSQL URL given to the server, else its SQLite file. */
export function storeLocationOf(project: TestProject, storeUrl?: string): StoreLocation {
  return storeUrl
    ? { kind: 'postgres', url: storeUrl }
    : { kind: 'sqlite', file: join(project.dir, '.slipway', 'slipway.db') };
}

/**
 * `slipway server` as a child process (the built dist/cli.js) for a test project, on a free loopback port.
 * Resolves once it printed its URL.
 */
export async function startTestServer(
  project: TestProject,
  options: { storeUrl?: string; env?: Record<string, string>; args?: string[] } = {},
): Promise<TestServer> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      CLI,
      '-c',
      join(project.dir, 'slipway.yml'),
      'server',
      '--listen',
      `127.0.0.1:${port}`,
      ...(options.args ?? []),
    ],
    {
      env: {
        ...process.env,
        NO_COLOR: '1',
        ...(options.storeUrl ? { SLIPWAY_STORE_URL: options.storeUrl } : {}),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitListening(child, () => output);
  const location = storeLocationOf(project, options.storeUrl);
  return {
    url,
    pid: child.pid ?? 0,
    output: () => output,
    token: (subject, roles) => createTestToken(location, subject, roles),
    fetch: (path, token, init = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(init.body ? { 'content-type': 'application/json' } : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
      }),
    stop: () => stopChild(child),
  };
}

export async function createTestToken(
  location: StoreLocation,
  subject: string,
  roles: string[],
): Promise<string> {
  const store = await openStore(location);
  try {
    const token = generateApiToken();
    await store.createApiToken({
      id: `tok_${randomBytes(6).toString('hex')}`,
      subject,
      description: 'test',
      tokenHash: hashApiToken(token),
      grants: roles.map(parseGrant),
      createdBy: 'test',
      createdAtMs: Date.now(),
      expiresAtMs: null,
    });
    return token;
  } finally {
    await store.close();
  }
}

function waitListening(child: ChildProcess, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`slipway server did not start:\n${output()}`)), 30_000);
    const onData = (): void => {
      if (!output().includes('slipway server listening on')) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve();
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`slipway server exited (${code}):\n${output()}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.pid === undefined) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }, 15_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

export interface ReceivedEvent {
  id: string | null;
  event: string;
  data: unknown;
}

export interface EventStream {
  events: ReceivedEvent[];
  /** Comment lines received (heartbeats). */
  comments: string[];
  /** Resolves with the first event (received so far or later) that matches; rejects after timeoutMs. */
  waitFor(match: (e: ReceivedEvent) => boolean, what: string, timeoutMs?: number): Promise<ReceivedEvent>;
  close(): void;
}

/** A client of GET /api/v1/events reading the real byte stream and parsing its frames. */
export async function openEventStream(
  url: string,
  token: string,
  lastEventId?: number,
): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(`${url}/api/v1/events`, {
    headers: {
      authorization: `Bearer ${token}`,
      ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}),
    },
    signal: controller.signal,
  });
  if (response.status !== 200 || !response.body)
    throw new Error(`GET /api/v1/events answered ${response.status}: ${await response.text()}`);
  const events: ReceivedEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body.getReader();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let id: string | null = null;
          let event = 'message';
          const data: string[] = [];
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ id, event, data: JSON.parse(data.join('\n')) });
        }
        for (const w of waiters) w();
      }
    } catch {
      // Closed by us.
    }
  })();
  return {
    events,
    comments,
    waitFor: (match, what, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = events.find(match);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no event: ${what}; received ${events.map((e) => e.event).join(', ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () => controller.abort(),
  };
}
