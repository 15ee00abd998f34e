import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import type { agentPaths } from './agent-paths.js';

/**
 * Starts the keeper (which runs the router process and the agent, and restarts them) so that it outlives whoever
 * started it: a new session (setsid, so the end of an SSH session does not reach it), output to its log file, not
 * waited for. Used by the local host and by the SSH bridge when no systemd unit runs the keeper.
 */
export function spawnDetachedAgent(agentEntry: string, paths: ReturnType<typeof agentPaths>): void {
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const log = openSync(paths.keeperLog, 'a', 0o600);
  try {
    const child = spawn(process.execPath, [agentEntry, 'keeper', '--home', paths.home], {
      detached: true,
      stdio: ['ignore', log, log],
      cwd: paths.home,
      env: process.env,
    });
    child.unref();
  } finally {
    closeSync(log);
  }
}

/** A connection to the agent's unix socket, or null when nothing answers there. */
export function tryConnectSocket(path: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => resolve(null));
  });
}
