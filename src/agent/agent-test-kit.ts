/**
 * Test-only helpers for driving an agent as the control plane does: a temp home, the real router process
 * (`agent.js router`, run from source), an in-process Agent beside it reached through its unix socket, a release
 * artifact of a tiny HTTP server, and target specs. Not imported by production code.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent as HttpClient, request } from 'undici';
import { afterAll } from 'vitest';
import { packageArtifact } from '../release/package-artifact.js';
import { useCleanup } from '../router/test-backends.js';
import { Agent, agentPaths } from './agent.js';
import { AgentClient } from './agent-client.js';
import { tryConnectSocket } from './agent-process.js';
import { isGroupAlive, signalGroup, sleep } from './process-util.js';
import type { TargetSpec } from './protocol.js';
import { connectRouterPort } from './routes/router-client.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

export const cleanup = useCleanup();

/** Resolves once `condition` holds; fails after `timeoutMs` saying what was awaited. */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

const targetGroups = new Set<number>();

/**
 * A fresh agent home; short, since a unix socket path must fit in 108 bytes. Removed at cleanup, after the
 * processes of the test are stopped (and any target process the agent under test left behind is killed).
 */
export async function tempHome(): Promise<string> {
  const home = await mkdtemp('/tmp/swt-');
  cleanup(async () => {
    for (const pid of targetGroups) if (isGroupAlive(pid)) signalGroup(pid, 'SIGKILL');
    targetGroups.clear();
    await rm(home, { recursive: true, force: true });
  });
  return home;
}

/** Remembers a target's process group, killed at cleanup if the agent under test did not stop it. */
export function reapTarget(pid: number | null): void {
  if (pid !== null) targetGroups.add(pid);
}

/** Runs `agent.js <mode> --home DIR` from source; resolves once `socket` answers. Stopped at cleanup. */
export async function spawnAgentProcess(
  mode: 'router' | 'agent',
  home: string,
  socket: string,
  env: Record<string, string> = {},
): Promise<{ pid: number; exited: Promise<number | null> }> {
  const args = ['--import', 'tsx', MAIN, ...(mode === 'router' ? ['router'] : []), '--home', home];
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  cleanup(async () => {
    if (gone) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
    if (!killed) child.kill('SIGKILL');
    await exited;
  });
  await until(`the ${mode} process to answer on ${socket}`, async () => {
    if (gone) throw new Error(`the ${mode} process exited before it answered: ${stderr}`);
    const s = await tryConnectSocket(socket);
    s?.destroy();
    return s !== null;
  });
  return { pid: child.pid as number, exited };
}

/** The real router process of `home`, as the keeper runs it. */
export function startRouterProcess(home: string): ReturnType<typeof spawnAgentProcess> {
  return spawnAgentProcess('router', home, agentPaths(home).routerSocket);
}

export interface RunningAgent {
  agent: Agent;
  client: AgentClient;
  /** Stops the agent (once); targets run on unless `stopTargets`. */
  stop(options?: { stopTargets: boolean }): Promise<void>;
}

/**
 * An Agent in `home` that drives the router process of that home (started first), talked to through its socket.
 * A test that ends early stops it with its targets.
 */
export async function startAgent(home: string): Promise<RunningAgent> {
  const routes = connectRouterPort(agentPaths(home).routerSocket);
  const agent = await Agent.start({ home, routes, supervisor: 'the test' });
  const client = new AgentClient(await connect(agent.paths.socket), 'local');
  let stopped: Promise<void> | null = null;
  const stop = ({ stopTargets } = { stopTargets: false }): Promise<void> =>
    (stopped ??= (async () => {
      client.close();
      await agent.stop({ stopTargets });
      routes.close();
    })());
  cleanup(() => stop({ stopTargets: true }));
  return { agent, client, stop };
}

/** A client of the agent socket at `path`, closed at cleanup. */
export async function connectClient(path: string): Promise<AgentClient> {
  const client = new AgentClient(await connect(path), 'local');
  cleanup(() => client.close());
  return client;
}

async function connect(path: string) {
  const socket = await tryConnectSocket(path);
  if (!socket) throw new Error(`nothing answers on ${path}`);
  return socket;
}

/** A release artifact: a server that answers `/healthz`, and `<version> <target id>` on every other path. */
export async function releaseArtifact(
  home: string,
  version: string,
): Promise<{ version: string; artifactPath: string; sha256: string }> {
  const src = join(home, 'src', version);
  await mkdir(src, { recursive: true });
  await writeFile(
    join(src, 'server.js'),
    `require('node:http').createServer((req, res) => {
  res.end(req.url === '/healthz' ? 'ok' : ${JSON.stringify(version)} + ' ' + process.env.SLIPWAY_TARGET);
}).listen(Number(process.env.PORT), '127.0.0.1');\n`,
  );
  const packed = await packageArtifact(src, join(home, 'artifacts'), []);
  return { version, artifactPath: packed.path, sha256: packed.sha256 };
}

export function targetSpec(id: string, release: string, command = 'node server.js'): TargetSpec {
  return {
    id,
    app: 'web',
    release,
    command,
    env: { GREETING: 'hello' },
    secretEnv: {},
    stopTimeoutMs: 3_000,
    healthCheck: {
      path: '/healthz',
      intervalMs: 100,
      timeoutMs: 1_000,
      healthyThreshold: 1,
      unhealthyThreshold: 3,
    },
    restart: { initialBackoffMs: 60_000, maxBackoffMs: 60_000 },
  };
}

const http = new HttpClient({ keepAliveTimeout: 1_000 });
afterAll(() => http.close());

/** A GET through the public port (the router), with a bound. */
export async function get(
  port: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const res = await request(`http://127.0.0.1:${port}/`, {
    dispatcher: http,
    headers,
    headersTimeout: 5_000,
    bodyTimeout: 5_000,
  });
  return { status: res.statusCode, body: await res.body.text() };
}
