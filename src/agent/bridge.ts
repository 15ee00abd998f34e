import { closeSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { agentPaths } from './agent-paths.js';
import { spawnDetachedAgent, tryConnectSocket } from './agent-process.js';
import { sleep } from './process-util.js';

/** Exit codes of `agent.js bridge`; the control plane reads them from the SSH exec. */
export const BRIDGE_EXIT = {
  ok: 0,
  /** No agent answers and `--no-start` was given. */
  notRunning: 3,
  /** An agent was started but its socket did not appear in time. */
  startTimeout: 4,
} as const;

const AGENT_START_TIMEOUT_MS = 10_000;
/** A start lock older than this was left by a bridge that died while starting an agent. */
const STALE_START_LOCK_MS = AGENT_START_TIMEOUT_MS + 5_000;

export interface BridgeOptions {
  home: string;
  /** The agent bundle to start when none runs (this very file when bundled). */
  agentEntry: string;
  /** Start an agent when none answers (otherwise exit with BRIDGE_EXIT.notRunning). */
  start: boolean;
  input?: Readable;
  output?: Writable;
  errors?: Writable;
}

/**
 * `agent.js bridge --home DIR`: joins stdin/stdout to the agent's unix socket, so the control plane reaches a
 * remote agent through an SSH exec and no port is opened on the host. Starts the agent first when none runs.
 * Resolves with the exit code once either side has closed.
 */
export async function runBridge(options: BridgeOptions): Promise<number> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const errors = options.errors ?? process.stderr;
  const paths = agentPaths(options.home);

  let socket = await tryConnectSocket(paths.socket);
  if (!socket && !options.start) {
    errors.write(`no slipway agent is running in ${paths.home}\n`);
    return BRIDGE_EXIT.notRunning;
  }
  if (!socket) {
    socket = await startAgentAndConnect(options.agentEntry, paths);
    if (!socket) {
      errors.write(
        `the slipway agent did not start within ${AGENT_START_TIMEOUT_MS / 1000}s; see ${paths.agentLog}\n`,
      );
      return BRIDGE_EXIT.startTimeout;
    }
  }
  return pipeUntilClosed(socket, input, output);
}

function pipeUntilClosed(socket: Socket, input: Readable, output: Writable): Promise<number> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      input.unpipe(socket);
      socket.unpipe(output);
      socket.destroy();
      // Flush what the agent sent before the exit; a closed stdout (the SSH channel went away) ends it too.
      if (output.writableEnded || output.destroyed) resolve(BRIDGE_EXIT.ok);
      else output.end(() => resolve(BRIDGE_EXIT.ok));
    };
    input.pipe(socket);
    socket.pipe(output, { end: false });
    input.once('end', () => socket.end());
    input.once('close', () => socket.end());
    input.once('error', finish);
    output.once('error', finish);
    socket.once('close', finish);
    socket.once('error', finish);
  });
}

/**
 * Starts the agent detached in its own session (it outlives this bridge and the SSH session) unless another
 * bridge is starting one right now, then waits for its socket.
 */
async function startAgentAndConnect(
  agentEntry: string,
  paths: ReturnType<typeof agentPaths>,
): Promise<Socket | null> {
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const lockPath = `${paths.home}/agent.start.lock`;
  const locked = takeStartLock(lockPath);
  try {
    // Check again under the lock: the agent may have come up between our first try and taking the lock.
    if (locked) {
      const socket = await tryConnectSocket(paths.socket);
      if (socket) return socket;
      spawnDetachedAgent(agentEntry, paths);
    }
    const deadline = Date.now() + AGENT_START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const socket = await tryConnectSocket(paths.socket);
      if (socket) return socket;
      await sleep(50);
    }
    return null;
  } finally {
    if (locked) rmSync(lockPath, { force: true });
  }
}

function takeStartLock(lockPath: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      closeSync(openSync(lockPath, 'wx', 0o600));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!isStale(lockPath)) return false;
      rmSync(lockPath, { force: true });
    }
  }
  return false;
}

function isStale(lockPath: string): boolean {
  try {
    return Date.now() - statSync(lockPath).mtimeMs > STALE_START_LOCK_MS;
  } catch {
    return true;
  }
}
