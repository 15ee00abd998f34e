import { performance } from 'node:perf_hooks';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { SlipwayError } from '../core/errors.js';
import {
  describeEndpoint,
  openSshConnection,
  type SshConnectOptions,
  type SshEndpoint,
} from './ssh-connect.js';
import { HostUnreachableError } from './ssh-errors.js';
import { openSftp } from './sftp-util.js';

/** Below sshd's default MaxSessions (10), leaving room for the agent bridge and SFTP channels. */
const MAX_CONCURRENT_EXECS = 6;

export interface ExecResult {
  /** Exit code; null when the command died by a signal or the server sent no status. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

interface Connection {
  client: Client;
  jump: Client | null;
  closed: boolean;
  /** Why it closed, when an error said so (e.g. keepalive timeout). */
  reason: string | null;
  /** Rejects everything in flight on this connection when it drops. */
  waiters: Set<(err: Error) => void>;
  sftp: Promise<SFTPWrapper> | null;
}

/**
 * One persistent SSH connection to a host (through a jump host when given): opened on first use, opened again
 * on the next use after a drop, with many channels on it. When it drops (keepalives notice a dead link within
 * a few seconds), everything in flight on it fails at once with HostUnreachableError.
 */
export class SshSession {
  /** How long the last connection took to open (ms). */
  lastConnectMs: number | null = null;
  #connection: Promise<Connection> | null = null;
  #execSlots = MAX_CONCURRENT_EXECS;
  readonly #execQueue: Array<() => void> = [];

  constructor(
    readonly endpoint: SshEndpoint,
    private readonly options: SshConnectOptions,
    private readonly jumpHost?: SshEndpoint,
  ) {}

  async connect(): Promise<void> {
    await this.#connect();
  }

  /** Runs one (already quoted) command line and collects its output; never throws on exit codes. */
  async exec(command: string, stdin?: string | Buffer): Promise<ExecResult> {
    const conn = await this.#connect();
    await this.#takeExecSlot();
    try {
      return await this.#whileConnected(conn, () => this.#runExec(conn, command, stdin));
    } finally {
      this.#releaseExecSlot();
    }
  }

  /** A long-lived exec channel (the agent bridge), destroyed when the connection drops. */
  async openChannel(command: string): Promise<ClientChannel> {
    const conn = await this.#connect();
    const channel = await this.#whileConnected(conn, () => this.#openExec(conn, command));
    return this.#dropWithConnection(conn, channel);
  }

  #dropWithConnection(conn: Connection, channel: ClientChannel): ClientChannel {
    const drop = (): void => {
      channel.destroy();
    };
    conn.waiters.add(drop);
    channel.once('close', () => conn.waiters.delete(drop));
    return channel;
  }

  /**
   * A channel to a unix socket on the host (OpenSSH's direct-streamlocal): sshd connects to it itself, so no
   * command and no login shell is started. Destroyed when the connection drops; fails when sshd refuses
   * (no such socket, nobody listening, or `AllowStreamLocalForwarding no`).
   */
  async openUnixSocket(socketPath: string): Promise<ClientChannel> {
    const conn = await this.#connect();
    const channel = await this.#whileConnected(
      conn,
      () =>
        new Promise<ClientChannel>((resolve, reject) => {
          conn.client.openssh_forwardOutStreamLocal(socketPath, (err, ch) =>
            err ? reject(err) : resolve(ch),
          );
        }),
    );
    return this.#dropWithConnection(conn, channel);
  }

  /**
   * An exec channel for a command the user talks to (`slipway run -i/-t`), with a pseudo-terminal when `pty` is
   * given. Destroyed when the connection drops.
   */
  async openInteractive(
    command: string,
    pty: { rows: number; cols: number; term: string } | null,
  ): Promise<ClientChannel> {
    const conn = await this.#connect();
    const channel = await this.#whileConnected(
      conn,
      () =>
        new Promise<ClientChannel>((resolve, reject) => {
          conn.client.exec(command, pty ? { pty: { ...pty, height: 0, width: 0 } } : {}, (err, ch) =>
            err ? reject(err) : resolve(ch),
          );
        }),
    );
    return this.#dropWithConnection(conn, channel);
  }

  /** Runs work on the connection's SFTP session (opened once per connection). */
  async withSftp<T>(work: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const conn = await this.#connect();
    if (!conn.sftp) {
      const opening = openSftp(conn.client);
      conn.sftp = opening;
      const forget = (): void => {
        if (conn.sftp === opening) conn.sftp = null;
      };
      opening.then((sftp) => sftp.once('close', forget), forget);
    }
    const sftp = conn.sftp;
    return this.#whileConnected(conn, () => sftp.then(work));
  }

  async close(): Promise<void> {
    const pending = this.#connection;
    this.#connection = null;
    const conn = await pending?.catch(() => null);
    if (!conn || conn.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1_000);
      conn.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      conn.client.end();
    });
    conn.jump?.end();
  }

  #connect(): Promise<Connection> {
    if (!this.#connection) {
      const opening = this.#open();
      this.#connection = opening;
      opening.catch(() => {
        if (this.#connection === opening) this.#connection = null;
      });
    }
    return this.#connection;
  }

  async #open(): Promise<Connection> {
    const started = performance.now();
    const jump = this.jumpHost ? await openSshConnection(this.jumpHost, this.options) : null;
    let client: Client;
    try {
      client = await openSshConnection(this.endpoint, this.options, jump ?? undefined);
    } catch (err) {
      jump?.end();
      throw err;
    }
    this.lastConnectMs = performance.now() - started;
    const conn: Connection = { client, jump, closed: false, reason: null, waiters: new Set(), sftp: null };
    const opened = this.#connection;
    client.on('error', (err: Error) => (conn.reason ??= err.message));
    jump?.on('error', (err: Error) => (conn.reason ??= `jump host: ${err.message}`));
    const onClose = (): void => {
      if (conn.closed) return;
      conn.closed = true;
      if (this.#connection === opened) this.#connection = null;
      const lost = this.#lostError(conn);
      for (const reject of conn.waiters) reject(lost);
      conn.waiters.clear();
      jump?.end();
      client.end();
    };
    client.on('close', onClose);
    jump?.on('close', onClose);
    return conn;
  }

  #lostError(conn: Connection): HostUnreachableError {
    return new HostUnreachableError(
      this.endpoint.name,
      `lost the SSH connection to ${describeEndpoint(this.endpoint)}${conn.reason ? `: ${conn.reason}` : ''}`,
    );
  }

  /** Runs work that fails at once (instead of hanging) when the connection drops. */
  #whileConnected<T>(conn: Connection, work: () => Promise<T>): Promise<T> {
    if (conn.closed) return Promise.reject(this.#lostError(conn));
    let waiter: (err: Error) => void = () => {};
    return new Promise<T>((resolve, reject) => {
      waiter = reject;
      conn.waiters.add(reject);
      work().then(resolve, (err: Error) =>
        reject(
          conn.closed || err instanceof SlipwayError
            ? err
            : new SlipwayError(`SSH on ${this.endpoint.name}: ${err.message}`, { cause: err }),
        ),
      );
    }).finally(() => conn.waiters.delete(waiter));
  }

  #openExec(conn: Connection, command: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      conn.client.exec(command, (err, channel) => (err ? reject(err) : resolve(channel)));
    });
  }

  /**
   * Collects from inside exec's callback, not a promise tick later: a fast command's exit status can arrive in
   * the same read as the exec's acceptance, and ssh2 emits it while it parses that read.
   */
  #runExec(conn: Connection, command: string, stdin: string | Buffer | undefined): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      conn.client.exec(command, (err, channel) =>
        err ? reject(err) : resolve(collectOutput(channel, stdin)),
      );
    });
  }

  #takeExecSlot(): Promise<void> {
    if (this.#execSlots > 0) {
      this.#execSlots--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#execQueue.push(resolve));
  }

  #releaseExecSlot(): void {
    const next = this.#execQueue.shift();
    if (next) next();
    else this.#execSlots++;
  }
}

/**
 * Feeds stdin, gathers stdout and stderr, and resolves on close with the exit status. A dropped connection
 * rejects through the connection's waiters first.
 */
function collectOutput(channel: ClientChannel, stdin: string | Buffer | undefined): Promise<ExecResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    channel.on('data', (chunk: Buffer) => out.push(chunk));
    channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    channel.on('close', (...args: unknown[]) => {
      resolve({
        ...exitOfClose(args),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    channel.end(stdin);
  });
}

/**
 * The exit status an exec channel's `close` event carries: ssh2 passes `(code)` or `(null, signal, …)`, whenever
 * the status came (also when it came before anyone listened for `exit`). Both null when the server sent none.
 */
export function exitOfClose(args: readonly unknown[]): { code: number | null; signal: string | null } {
  const [code, signal] = args;
  return {
    code: typeof code === 'number' ? code : null,
    signal: typeof signal === 'string' ? signal : null,
  };
}
