import type { WorkerIdentity } from '../agent/protocol.js';
import type { Host } from '../hosts/host.js';
import { AgentNotRunningError } from '../hosts/ssh-errors.js';

export interface LogLine {
  host: string;
  targetId: string;
  stream: 'out' | 'err';
  line: string;
  /** The worker instance the line is from; absent: the web process. */
  process?: WorkerIdentity;
}

/**
 * The last lines of the app's targets' logs on these hosts (the serving target first, as the agent orders
 * them); `onLine` sees each as it arrives. (`slipway logs --follow` streams from the agent itself.) Reading logs
 * starts no agent: a host whose agent is not running is left out, and `onAgentNotRunning` hears of it.
 */
export async function readLogs(
  hosts: Iterable<Host>,
  request: { app: string; lines: number; targetId?: string; process?: string },
  onLine: (line: LogLine) => void = () => undefined,
  onAgentNotRunning: (host: string) => void = () => undefined,
): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for (const host of hosts) {
    const agent = await host.agent({ start: false }).catch((err: unknown) => {
      if (err instanceof AgentNotRunningError) return null;
      throw err;
    });
    if (agent === null) {
      onAgentNotRunning(host.name);
      continue;
    }
    await agent.stream(
      'logs',
      {
        app: request.app,
        lines: request.lines,
        follow: false,
        ...(request.targetId ? { targetId: request.targetId } : {}),
        ...(request.process ? { process: request.process } : {}),
      },
      (e) => {
        const line: LogLine = { host: host.name, targetId: e.targetId, stream: e.stream, line: e.line };
        if (e.process) line.process = e.process;
        out.push(line);
        onLine(line);
      },
    );
  }
  return out;
}
