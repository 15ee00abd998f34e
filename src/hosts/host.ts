import type { AgentClient } from '../agent/agent-client.js';

/**
 * A machine Slipway deploys to. The control plane only ever talks to a host's agent (and copies artifacts);
 * `local` does both directly, SSH hosts through one SSH connection.
 */
export interface Host {
  readonly name: string;
  /** A client for the host's agent, starting the agent first when none runs. */
  agent(): Promise<AgentClient>;
  /** Makes a release artifact available on the host; returns its path there. */
  putArtifact(localPath: string, sha256: string): Promise<string>;
  /** Closes connections (never stops the agent). */
  close(): Promise<void>;
}
