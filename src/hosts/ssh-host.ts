import { AgentOpening } from './agent-opening.js';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { AgentClient } from '../agent/agent-client.js';
import { BRIDGE_EXIT } from '../agent/bridge.js';
import { sleep } from '../agent/process-util.js';
import type { SshHostConfig, SshSettings } from '../config/host-schema.js';
import { HostCommandError, SlipwayError } from '../core/errors.js';
import { parseSha256sum } from './host-facts.js';
import type { Host } from './host.js';
import { quoteArgv } from '../core/quote-argv.js';
import { sftpGet, sftpPut, sftpRename, sftpStat, sftpUnlink, sftpWriteFile } from './sftp-util.js';
import type { SshEndpoint } from './ssh-connect.js';
import { AgentNotRunningError, HostUnreachableError } from './ssh-errors.js';
import { SshSession, exitOfClose, type ExecResult } from './ssh-session.js';
import { runInteractiveOverSsh } from './ssh-interactive.js';
import type { InteractiveLaunch } from '../runtime/interactive-launch.js';

export type { ExecResult } from './ssh-session.js';

export const SSH_KEEPALIVE_INTERVAL_MS = 2_000;
export const SSH_KEEPALIVE_COUNT_MAX = 3;
const STDERR_TAIL_CHARS = 2_000;
const AGENT_STOP_GRACE_MS = 5_000;
const BRIDGE_EXIT_WAIT_MS = 2_000;

export interface SshHostSettings {
  knownHostsFile: string;
  trustNewHosts: boolean;
  connectTimeoutMs: number;
  jumpHost?: SshSettings['jumpHost'];
  /** Directory identity files are relative to (the directory of slipway.yml). */
  projectDir: string;
  /** Names the environment in hints (`slipway setup <env> …`). */
  environment?: string;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

/** Where things live under a host's agentHome. */
export function sshAgentPaths(agentHome: string) {
  return {
    home: agentHome,
    bin: posix.join(agentHome, 'bin'),
    node: posix.join(agentHome, 'bin', 'node'),
    agentJs: posix.join(agentHome, 'bin', 'agent.js'),
    /** The agent's own home (socket, state, logs, releases). */
    agentDir: posix.join(agentHome, 'agent'),
    artifacts: posix.join(agentHome, 'artifacts'),
  };
}

/**
 * A Linux machine reached over SSH: one persistent connection (opened on first use, reopened after a drop),
 * many channels on it. The agent is reached through its unix socket, which sshd connects to (direct-streamlocal),
 * or where that does not work through `agent.js bridge` over an exec channel, which also starts it.
 */
export class SshHost implements Host {
  readonly name: string;
  readonly paths: ReturnType<typeof sshAgentPaths>;
  readonly #session: SshSession;
  #agent: AgentClient | null = null;
  /** The client being opened, and whether that opening starts an agent that does not answer. */
  readonly #agentOpening = new AgentOpening();

  constructor(
    readonly config: SshHostConfig,
    private readonly settings: SshHostSettings,
  ) {
    this.name = config.name;
    this.paths = sshAgentPaths(config.agentHome);
    const { name, address, port, user, identityFile } = config;
    const jump = settings.jumpHost;
    this.#session = new SshSession(
      { name, address, port, user, identityFile },
      {
        knownHostsFile: settings.knownHostsFile,
        trustNewHosts: settings.trustNewHosts,
        connectTimeoutMs: settings.connectTimeoutMs,
        projectDir: settings.projectDir,
        environment: settings.environment,
        keepaliveIntervalMs: settings.keepaliveIntervalMs ?? SSH_KEEPALIVE_INTERVAL_MS,
        keepaliveCountMax: settings.keepaliveCountMax ?? SSH_KEEPALIVE_COUNT_MAX,
      },
      jump ? ({ ...jump, name: `jump host of ${name}` } satisfies SshEndpoint) : undefined,
    );
  }

  /** How long the last SSH connection took to open (ms), for preflight checks. */
  get lastConnectMs(): number | null {
    return this.#session.lastConnectMs;
  }

  /** Connects now (a no-op when connected); errors are HostUnreachableError, HostAuthError or HostKeyError. */
  connect(): Promise<void> {
    return this.#session.connect();
  }

  /** Runs a command (argv, quoted here and nowhere else) and collects its output; never throws on exit codes. */
  exec(argv: readonly string[], options: { stdin?: string | Buffer } = {}): Promise<ExecResult> {
    return this.#session.exec(quoteArgv(argv), options.stdin);
  }

  /** Like exec, but a non-zero exit is a HostCommandError (with the stderr tail). */
  async execChecked(argv: readonly string[], options: { stdin?: string | Buffer } = {}): Promise<ExecResult> {
    const result = await this.exec(argv, options);
    if (result.code !== 0) {
      throw new HostCommandError(
        this.name,
        argv,
        result.code,
        result.stderr.trim().slice(-STDERR_TAIL_CHARS),
      );
    }
    return result;
  }

  /**
   * A client for the host's agent: its socket through sshd when it answers there, else over `agent.js bridge`
   * (which starts the agent when none runs, unless
   * `start: false`). One client is reused while its channel is open.
   */
  agent(options: { start?: boolean } = {}): Promise<AgentClient> {
    if (this.#agent) return Promise.resolve(this.#agent);
    const starts = options.start ?? true;
    return this.#agentOpening.open(starts, (start) => this.#openAgent(start));
  }

  fetchFile(path: string, localPath: string): Promise<void> {
    return this.#session.withSftp((sftp) => sftpGet(sftp, path, localPath));
  }

  /** Copies a release artifact to `<agentHome>/artifacts/<sha256>.tar.gz` unless a file of that size is there. */
  async putArtifact(localPath: string, sha256: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new SlipwayError(`not a sha256: ${sha256}`);
    const remotePath = posix.join(this.paths.artifacts, `${sha256}.tar.gz`);
    const { size } = await stat(localPath);
    const [existing, directory] = await this.#session.withSftp((sftp) =>
      Promise.all([sftpStat(sftp, remotePath), sftpStat(sftp, this.paths.artifacts)]),
    );
    // Same name and size: the agent verifies the hash when it installs the release anyway.
    if (existing?.size === size) return remotePath;
    // Setup made the directory; a remote command (a login shell) only when it is gone.
    if (!directory) await this.execChecked(['mkdir', '-p', this.paths.artifacts]);
    await this.upload(localPath, remotePath);
    return remotePath;
  }

  /**
   * Uploads a file over SFTP to a temp name beside the target and renames it into place; with `expectSha256`,
   * the temp file's checksum is verified on the host before the rename.
   */
  async upload(
    localPath: string,
    remotePath: string,
    options: { mode?: number; expectSha256?: string } = {},
  ): Promise<void> {
    await this.#putAtomically(
      remotePath,
      (sftp, temp) => sftpPut(sftp, localPath, temp, options.mode ?? 0o644),
      options.expectSha256,
    );
  }

  /** Writes a small file on the host atomically (temp name, then rename). */
  async writeFile(remotePath: string, content: string, options: { mode?: number } = {}): Promise<void> {
    await this.#putAtomically(remotePath, (sftp, temp) =>
      sftpWriteFile(sftp, temp, Buffer.from(content), options.mode ?? 0o644),
    );
  }

  /**
   * Asks the agent to shut down (targets keep running unless `stopTargets`) and waits until its process is
   * gone. False when no agent was running.
   */
  async stopAgent(options: { stopTargets: boolean }): Promise<boolean> {
    let client: AgentClient;
    try {
      client = await this.agent({ start: false });
    } catch (err) {
      if (err instanceof AgentNotRunningError) return false;
      throw err;
    }
    const { pid } = await client.call('ping', {});
    await client.call('shutdown', { stopTargets: options.stopTargets });
    // The agent waits for open connections before it exits: ours must go.
    if (this.#agent === client) this.#agent = null;
    client.close();
    if (await this.#waitForExit(pid, AGENT_STOP_GRACE_MS)) return true;
    // Its state is on disk by now; what keeps it is another client's open connection (the agent waits for
    // them to close), so it is ended the hard way.
    await this.exec(['kill', '-KILL', String(pid)]);
    if (await this.#waitForExit(pid, AGENT_STOP_GRACE_MS)) return true;
    throw new SlipwayError(`the agent on ${this.name} (pid ${pid}) did not exit`);
  }

  /**
   * Restarts the agent process alone (an upgrade): the router process keeps serving the public ports. With
   * `alsoKeeper` the keeper goes too (it leaves its children running) and the next call's bridge starts the new
   * one, which adopts the router process; under systemd the unit's keeper starts the new agent by itself.
   */
  async restartAgentProcess(options: { alsoKeeper: boolean }): Promise<void> {
    const client = await this.agent({ start: false });
    const { pid } = await client.call('ping', {});
    if (options.alsoKeeper) {
      const keeper = (await this.exec(['cat', posix.join(this.paths.agentDir, 'keeper.pid')])).stdout.trim();
      if (/^\d+$/.test(keeper)) await this.exec(['kill', '-TERM', keeper]);
    }
    if (this.#agent === client) this.#agent = null;
    client.close();
    await this.exec(['kill', '-TERM', String(pid)]);
    if (await this.#waitForExit(pid, AGENT_STOP_GRACE_MS)) return;
    await this.exec(['kill', '-KILL', String(pid)]);
    if (!(await this.#waitForExit(pid, AGENT_STOP_GRACE_MS))) {
      throw new SlipwayError(`the agent on ${this.name} (pid ${pid}) did not exit`);
    }
  }

  runInteractive(launch: InteractiveLaunch): Promise<{ code: number | null; signal: string | null }> {
    const releases = posix.join(this.paths.agentDir, 'releases');
    return runInteractiveOverSsh(this.#session, this.name, { node: this.paths.node, releases }, launch);
  }

  /** Closes the connection (never stops the agent). */
  async close(): Promise<void> {
    this.#agent?.close();
    this.#agent = null;
    await this.#session.close();
  }

  async #waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.exec(['kill', '-0', String(pid)])).code === 0) {
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
    return true;
  }

  async #putAtomically(
    remotePath: string,
    write: (sftp: SFTPWrapper, temp: string) => Promise<void>,
    expectSha256?: string,
  ): Promise<void> {
    const temp = posix.join(
      posix.dirname(remotePath),
      `.${posix.basename(remotePath)}.tmp-${randomBytes(4).toString('hex')}`,
    );
    await this.#session.withSftp(async (sftp) => {
      try {
        await write(sftp, temp);
        if (expectSha256) await this.#verifySha256(temp, remotePath, expectSha256);
        await sftpRename(sftp, temp, remotePath);
      } catch (err) {
        await sftpUnlink(sftp, temp).catch(() => undefined);
        throw err;
      }
    });
  }

  async #verifySha256(path: string, forPath: string, expected: string): Promise<void> {
    const actual = parseSha256sum((await this.execChecked(['sha256sum', path])).stdout).get(path);
    if (actual !== expected) {
      throw new SlipwayError(
        `upload to ${this.name} corrupted: ${forPath} has sha256 ${actual ?? 'none'}, expected ${expected}`,
      );
    }
  }

  async #openAgent(start: boolean): Promise<AgentClient> {
    return (await this.#openAgentSocket()) ?? (await this.#openAgentBridge(start));
  }

  /**
   * The agent's unix socket straight through sshd (direct-streamlocal): no command, so no login shell and no
   * bridge process on the host. Null when that does not work (no agent listening, forwarding refused by the
   * server); the bridge then starts the agent or says why it cannot.
   */
  async #openAgentSocket(): Promise<AgentClient | null> {
    let channel: ClientChannel;
    try {
      channel = await this.#session.openUnixSocket(posix.join(this.paths.agentDir, 'agent.sock'));
    } catch (err) {
      if (err instanceof HostUnreachableError) throw err;
      return null;
    }
    const client = new AgentClient(channel, this.name);
    try {
      await client.call('ping', {});
    } catch (err) {
      client.close();
      if (err instanceof HostUnreachableError) throw err;
      return null;
    }
    channel.once('close', () => {
      if (this.#agent === client) this.#agent = null;
    });
    this.#agent = client;
    return client;
  }

  async #openAgentBridge(start: boolean): Promise<AgentClient> {
    const argv = [this.paths.node, this.paths.agentJs, 'bridge', '--home', this.paths.agentDir];
    if (!start) argv.push('--no-start');
    const channel = await this.#session.openChannel(quoteArgv(argv));
    let stderr = '';
    channel.stderr.on(
      'data',
      (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS)),
    );
    // From close, not exit: a bridge that exits at once (no agent, `--no-start`) may have sent its status before
    // this channel reached us, and ssh2 emitted `exit` then; `close` still carries it.
    const exited = new Promise<number | null>((resolve) => {
      channel.once('close', (...args: unknown[]) => resolve(exitOfClose(args).code));
    });
    const client = new AgentClient(channel, this.name);
    channel.once('close', () => {
      if (this.#agent === client) this.#agent = null;
    });
    // A first ping tells a working bridge from a missing agent before anyone relies on this client.
    try {
      await client.call('ping', {});
    } catch (err) {
      // The exit status follows the channel's end closely; don't wait on it forever.
      const code = await Promise.race([exited, sleep(BRIDGE_EXIT_WAIT_MS).then(() => null)]);
      client.close();
      throw this.#bridgeError(argv, code, stderr, err);
    }
    this.#agent = client;
    return client;
  }

  #bridgeError(argv: string[], code: number | null, stderr: string, cause: unknown): Error {
    const hint = `run: slipway setup ${this.settings.environment ?? '<env>'}`;
    // A dropped connection: the AgentClient's error says so.
    if (code === null && !stderr) return cause instanceof Error ? cause : new Error(String(cause));
    if (code === BRIDGE_EXIT.notRunning) {
      return new AgentNotRunningError(`no slipway agent is running on ${this.name}`, { hint });
    }
    if (code === 127 || code === 126) {
      return new SlipwayError(`the slipway agent is not installed on ${this.name} (${this.paths.node})`, {
        hint,
      });
    }
    return new HostCommandError(this.name, argv, code, stderr.trim(), { cause });
  }
}
