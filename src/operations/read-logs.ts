import type { Host } from '../hosts/host.js';

export interface LogLine {
  host: string;
  targetId: string;
  stream: 'out' | 'err';
  line: string;
}

/**
 * The last lines of the app's targets' logs on these hosts (the serving target first, as the agent orders
 * them); `onLine` sees each as it arrives. (`slipway logs --follow` streams from the agent itself.)
 */
export async function readLogs(
  hosts: Iterable<Host>,
  request: { app: string; lines: number; targetId?: string },
  onLine: (line: LogLine) => void = () => undefined,
): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for (const host of hosts) {
    const agent = await host.agent();
    await agent.stream(
      'logs',
      {
        app: request.app,
        lines: request.lines,
        follow: false,
        ...(request.targetId ? { targetId: request.targetId } : {}),
      },
      (e) => {
        const line = { host: host.name, targetId: e.targetId, stream: e.stream, line: e.line };
        out.push(line);
        onLine(line);
      },
    );
  }
  return out;
}
