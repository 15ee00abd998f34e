import type { CheckRow } from './check-host.js';
import { holderOf, type PortOwner } from './port-holder.js';
import type { Listener } from './host-facts.js';

/** The ports of the front door an environment's `domains` are served on. */
export interface FrontDoorPorts {
  httpPort: number;
  httpsPort: number;
}

/**
 * The preflight rows of a host's front door: its HTTP and its HTTPS port (the door always opens both) must each be
 * free, or the front door's already (the agent's routes say so, or our router process holds the socket). A port
 * another process holds, that a route's router listens on, or that the open door uses the other way round, fails.
 * Pure.
 */
export function judgeFrontDoorPorts(
  door: FrontDoorPorts,
  listeners: readonly Listener[] | null,
  agent: PortOwner | null,
  environment = '<env>',
): CheckRow[] {
  return (['HTTP', 'HTTPS'] as const).map((scheme) =>
    judgeFrontDoorPort(scheme, door, listeners, agent, environment),
  );
}

function judgeFrontDoorPort(
  scheme: 'HTTP' | 'HTTPS',
  door: FrontDoorPorts,
  listeners: readonly Listener[] | null,
  agent: PortOwner | null,
  environment: string,
): CheckRow {
  const port = scheme === 'HTTP' ? door.httpPort : door.httpsPort;
  const label = `${scheme} port ${port}`;
  const row = (status: CheckRow['status'], detail: string, hint?: string): CheckRow => ({
    check: 'front door',
    status,
    detail: `${label} ${detail}`,
    ...(hint === undefined ? {} : { hint }),
  });
  const routes = agent?.routes ?? [];
  const portOf = (d: FrontDoorPorts, s: typeof scheme) => (s === 'HTTP' ? d.httpPort : d.httpsPort);
  const same = routes.filter((r) => r.frontDoor && portOf(r.frontDoor, scheme) === port);
  if (same.length > 0) return row('ok', `is the front door's (${same.map((r) => r.app).join(', ')})`);
  const other = scheme === 'HTTP' ? 'HTTPS' : 'HTTP';
  const crossed = routes.find((r) => r.frontDoor && portOf(r.frontDoor, other) === port);
  if (crossed?.frontDoor) {
    return row(
      'fail',
      `is the ${other} port of the host's front door (${crossed.app})`,
      `give environments.${environment}.frontDoor the open door's ports: httpPort ${crossed.frontDoor.httpPort}, httpsPort ${crossed.frontDoor.httpsPort}`,
    );
  }
  const router = routes.find((r) => r.publicPort === port);
  if (router) {
    return row(
      'fail',
      `is the public port of ${router.app}'s router on this host`,
      `give environments.${environment}.frontDoor other ports, or ${router.app} another publicPort`,
    );
  }
  const holder = holderOf(port, listeners, agent);
  switch (holder.kind) {
    case 'unknown':
      return row('warn', 'unknown: cannot list listening sockets');
    case 'free':
      return row('ok', 'is free');
    case 'ours':
      return row('ok', `is held by ${holder.who} (pid ${holder.pid})`);
    case 'theirs':
      return row(
        'fail',
        `is in use by ${holder.who}`,
        `stop that process, or give environments.${environment}.frontDoor other ports (httpPort, httpsPort)`,
      );
  }
}
