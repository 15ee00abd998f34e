import { AgentOpening } from './agent-opening.js';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../agent/agent-client.js';
import { agentPaths } from '../agent/agent-paths.js';
import { spawnDetachedAgent, tryConnectSocket } from '../agent/agent-process.js';
import { stopKeeper, stopRouterProcess } from '../agent/keeper-client.js';
import { isProcessAlive, sleep } from '../agent/process-util.js';
import { SlipwayError } from '../core/errors.js';
import { releaseDirFor } from '../agent/release-dirs.js';
import type { InteractiveLaunch } from '../runtime/interactive-launch.js';
import type { Host } from './host.js';
import { AgentNotRunningError } from './ssh-errors.js';
import type { ExecResult } from './ssh-session.js';

const AGENT_START_TIMEOUT_MS = 10_000;
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

/** This machine: the agent runs as a detached local process, reached over its unix socket, no SSH. */
export class LocalHost implements Host {
  readonly name = 'local';
  readonly paths: ReturnType<typeof agentPaths>;
  #client: AgentClient | null = null;
  /** The connection being opened, and whether that opening starts an agent that does not answer. */
  readonly #opening = new AgentOpening();

  constructor(
    agentHome: string,
    private readonly agentEntry: string = resolveAgentEntry(),
  ) {
    this.paths = agentPaths(agentHome);
    if (Buffer.byteLength(this.paths.socket) > MAX_SOCKET_PATH) {
      throw new SlipwayError(`the agent socket path is too long for a unix socket: ${this.paths.socket}`, {
        hint: 'use a shorter project path or state directory (--state-dir)',
      });
    }
  }

  /**
   * One client for everyone: callers that ask at the same time share one connection (none is left open). With
   * `start: false`, an agent that does not answer is an AgentNotRunningError rather than started.
   */
  agent(options: { start?: boolean } = {}): Promise<AgentClient> {
    if (this.#client) return Promise.resolve(this.#client);
    const starts = options.start !== false;
    return this.#opening.open(starts, (start) => this.#openAgent(start));
  }

  #notRunning(): AgentNotRunningError {
    return new AgentNotRunningError('no slipway agent is running on local', {
      hint: `"slipway agent start" starts it again${this.hasState() ? ' (it adopts the targets it left running)' : ''}; a deploy starts it too`,
    });
  }

  async #openAgent(start: boolean): Promise<AgentClient> {
    let socket = await tryConnectSocket(this.paths.socket);
    if (!socket) {
      if (!start) throw this.#notRunning();
      this.#spawnAgent();
      socket = await this.#waitForSocket();
    }
    const client = new AgentClient(socket, this.name);
    socket.on('close', () => {
      if (this.#client === client) this.#client = null;
    });
    this.#client = client;
    return client;
  }

  /** Is an agent answering on this host right now (without starting one)? */
  async isAgentRunning(): Promise<boolean> {
    const socket = await tryConnectSocket(this.paths.socket);
    socket?.destroy();
    return socket !== null;
  }

  /** Did an agent ever keep state here (so there may be targets to adopt)? */
  hasState(): boolean {
    return existsSync(this.paths.state);
  }

  agentPid(): number | null {
    try {
      const pid = Number(readFileSync(this.paths.pidFile, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? pid : null;
    } catch {
      return null;
    }
  }

  fetchFile(path: string, localPath: string): Promise<void> {
    return copyFile(path, localPath);
  }

  putArtifact(localPath: string): Promise<string> {
    return Promise.resolve(localPath);
  }

  /**
   * Stops the agent (and, when asked, every target it supervises) and waits until it is gone; false when no agent
   * was running. The keeper is told first, so that nothing starts the agent again meanwhile; the router process
   * is stopped by the agent, or here when the agent was dead.
   */
  async stopAgent(options: { stopTargets: boolean }): Promise<boolean> {
    await stopKeeper(this.paths.keeperSocket);
    if (!(await this.isAgentRunning())) {
      await stopRouterProcess(this.paths.routerSocket);
      return false;
    }
    const pid = this.agentPid();
    const client = await this.agent();
    await client.call('shutdown', { stopTargets: options.stopTargets });
    client.close();
    this.#client = null;
    const deadline = Date.now() + AGENT_START_TIMEOUT_MS;
    while (Date.now() < deadline && ((pid !== null && isProcessAlive(pid)) || (await this.isAgentRunning())))
      await sleep(50);
    return true;
  }

  exec(argv: readonly string[]): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (!file) return Promise.resolve({ code: null, signal: null, stdout: '', stderr: 'empty command' });
    return new Promise((resolve) => {
      execFile(file, args, { maxBuffer: 8 * 1024 * 1024, timeout: 30_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        // A missing program (ENOENT) answers like a shell would: exit 127.
        const missing = error && error.code === 'ENOENT';
        resolve({
          code: missing ? 127 : code,
          signal: error?.signal ?? null,
          stdout,
          stderr: missing ? `${file}: not found` : stderr,
        });
      });
    });
  }

  /**
   * Runs the command as a child of this process, sharing its terminal (so no pseudo-terminal is needed); Ctrl-C
   * and other terminal signals go to the command, not to slipway, while it runs.
   */
  runInteractive(launch: InteractiveLaunch): Promise<{ code: number | null; signal: string | null }> {
    const { inRelease } = launch;
    const cwd = inRelease ? releaseDirFor(this.paths.releases, inRelease.app, inRelease.release) : '/';
    if (!existsSync(cwd)) {
      return Promise.reject(
        new SlipwayError(`release ${inRelease?.release ?? ''} is not installed on local`),
      );
    }
    const [file = 'sh', ...args] = launch.argv;
    const ignore = (): void => undefined;
    const signals = ['SIGINT', 'SIGQUIT', 'SIGTSTP'] as const;
    for (const s of signals) process.on(s, ignore);
    return new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
      const child = spawn(file, args, {
        cwd,
        env: {
          PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
          HOME: process.env.HOME ?? '/',
          ...(process.env.TERM ? { TERM: process.env.TERM } : {}),
          ...(process.env.LANG ? { LANG: process.env.LANG } : {}),
          ...launch.env,
        },
        stdio: 'inherit',
      });
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' ? new SlipwayError(`${file}: command not found on local`) : err),
      );
      child.once('close', (code, signal) => resolve({ code, signal }));
    }).finally(() => {
      for (const s of signals) process.off(s, ignore);
    });
  }

  close(): Promise<void> {
    this.#client?.close();
    this.#client = null;
    return Promise.resolve();
  }

  #spawnAgent(): void {
    if (!existsSync(this.agentEntry)) {
      throw new SlipwayError(`the agent bundle is missing: ${this.agentEntry}`, {
        hint: 'run "npm run build" first',
      });
    }
    spawnDetachedAgent(this.agentEntry, this.paths);
  }

  async #waitForSocket(): Promise<Socket> {
    const deadline = Date.now() + AGENT_START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const socket = await tryConnectSocket(this.paths.socket);
      if (socket) return socket;
      await sleep(50);
    }
    throw new SlipwayError(`the local agent did not start within ${AGENT_START_TIMEOUT_MS / 1000}s`, {
      hint: `see its log: ${this.paths.agentLog}`,
    });
  }
}

/** dist/agent.js next to the CLI bundle, or under the package root when running from source. */
export function resolveAgentEntry(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    for (const candidate of [join(dir, 'agent.js'), join(dir, 'dist', 'agent.js')]) {
      if (existsSync(candidate) && candidate.endsWith(join('dist', 'agent.js'))) return candidate;
    }
    dir = dirname(dir);
  }
  return join(process.cwd(), 'dist', 'agent.js');
}
