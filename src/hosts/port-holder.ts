import type { Listener } from './host-facts.js';

/** The agent as the port checks see it: its pid, its router process's, and the routes it serves. */
export interface PortOwner {
  /** Null when the agent does not run (its router process may: it outlives the agent). */
  pid: number | null;
  routerPid?: number | null;
  routes: ReadonlyArray<{
    app: string;
    publicPort: number;
    frontDoor?: { httpPort: number; httpsPort: number };
  }>;
}

/** Who listens on a port by the host's listening sockets: nobody, our agent or router process, or someone else. */
export type PortHolder =
  | { kind: 'unknown' }
  | { kind: 'free' }
  | { kind: 'ours'; who: string; pid: number }
  | { kind: 'theirs'; who: string };

export function holderOf(
  port: number,
  listeners: readonly Listener[] | null,
  agent: PortOwner | null,
): PortHolder {
  if (listeners === null) return { kind: 'unknown' };
  const holders = listeners.filter((l) => l.port === port);
  if (holders.length === 0) return { kind: 'free' };
  const processes = holders.flatMap((l) => l.processes);
  const ours = (pid: number): boolean => pid === agent?.pid || pid === agent?.routerPid;
  const pid = processes[0]?.pid;
  if (agent && pid !== undefined && processes.every((p) => ours(p.pid))) {
    return { kind: 'ours', who: pid === agent.pid ? 'the slipway agent' : 'the slipway router process', pid };
  }
  const who =
    processes.length > 0 ? processes.map((p) => `${p.name} (pid ${p.pid})`).join(', ') : 'another process';
  return { kind: 'theirs', who };
}
