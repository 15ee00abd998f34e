import type { AgentClient } from '../agent/agent-client.js';
import type { ExecResult } from './ssh-session.js';
import type { InteractiveLaunch } from '../runtime/interactive-launch.js';

/**
 * A machine Slipway deploys to. The control plane only ever talks to a host's agent (and copies artifacts);
 * `local` does both directly, SSH hosts through one SSH connection.
 */
export interface Host {
  readonly name: string;
  /**
   * A client for the host's agent, starting the agent first when none runs; with `start: false` (what a command
   * that only reads asks for) an AgentNotRunningError instead.
   */
  agent(options?: { start?: boolean }): Promise<AgentClient>;
  /** Copies a file of the host (`path` there) to `localPath` on this machine. */
  fetchFile(path: string, localPath: string): Promise<void>;
  /** Makes a release artifact available on the host; returns its path there. */
  putArtifact(localPath: string, sha256: string): Promise<string>;
  /** Runs a command (an argv array, no shell) on the host and collects its output; never throws on exit codes. */
  exec(argv: readonly string[]): Promise<ExecResult>;
  /**
   * Runs a command on the host with this process's terminal attached (`slipway run -i/-t`): stdin, stdout and
   * stderr are the user's, with a terminal on the host for `tty`. Resolves with how it ended.
   */
  runInteractive(launch: InteractiveLaunch): Promise<{ code: number | null; signal: string | null }>;
  /** Closes connections (never stops the agent). */
  close(): Promise<void>;
}
