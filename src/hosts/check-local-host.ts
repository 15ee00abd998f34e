import { readFileSync } from 'node:fs';
import type { AgentState } from '../agent/protocol.js';
import { parsePreflightFacts } from '../agent/preflight-facts.js';
import { isProcessAlive } from '../agent/process-util.js';
import { readPreflightFacts } from '../agent/read-preflight-facts.js';
import { judgePort, readListeners, type CheckRow } from './check-host.js';
import { judgeFrontDoorPorts, type FrontDoorPorts } from './judge-front-door.js';
import type { LocalHost } from './local-host.js';
import type { PortOwner } from './port-holder.js';
import { AgentNotRunningError } from './ssh-errors.js';

/**
 * `slipway check` on this machine: no connection, OS or runtime to check (the agent runs on the node that runs
 * slipway), but its ports are checked as an SSH host's are: the public port and the front door's, each free or
 * held by our agent or router process. Reads only: it starts no agent.
 */
export async function checkLocalHost(
  local: LocalHost,
  options: { publicPort: number; frontDoor?: FrontDoorPorts | null; environment?: string },
): Promise<CheckRow[]> {
  const [state, output] = await Promise.all([
    readLocalAgentState(local),
    readPreflightFacts({ node: process.execPath, dfPaths: [local.paths.home] }),
  ]);
  const listeners = readListeners(parsePreflightFacts(output));
  const owner: PortOwner | null = state ?? routerProcessOf(local);
  return [
    state
      ? { check: 'agent', status: 'ok', detail: `${state.agentVersion} running (pid ${state.pid})` }
      : { check: 'agent', status: 'ok', detail: 'not running (a deploy starts it)' },
    judgePort(options.publicPort, listeners, owner),
    ...(options.frontDoor
      ? judgeFrontDoorPorts(options.frontDoor, listeners, owner, options.environment)
      : []),
  ];
}

async function readLocalAgentState(local: LocalHost): Promise<AgentState | null> {
  try {
    return await (await local.agent({ start: false })).call('state', {});
  } catch (err) {
    if (err instanceof AgentNotRunningError) return null;
    throw err;
  }
}

/** The router process left serving while no agent runs (it outlives the agent): its sockets are ours too. */
function routerProcessOf(local: LocalHost): PortOwner | null {
  try {
    const pid = Number(readFileSync(local.paths.routerPid, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)
      ? { pid: null, routerPid: pid, routes: [] }
      : null;
  } catch {
    return null;
  }
}
