import { join } from 'node:path';

/** Where an agent keeps everything on its host. */
export function agentPaths(home: string) {
  return {
    home,
    socket: join(home, 'agent.sock'),
    state: join(home, 'state.json'),
    events: join(home, 'events.jsonl'),
    logs: join(home, 'logs'),
    releases: join(home, 'releases'),
    pidFile: join(home, 'agent.pid'),
    agentLog: join(home, 'agent.log'),
    /** The router process: its socket, saved routes, journal, pid and log. */
    routerSocket: join(home, 'router.sock'),
    routes: join(home, 'routes.json'),
    routerEvents: join(home, 'router-events.jsonl'),
    routerPid: join(home, 'router.pid'),
    routerLog: join(home, 'router.log'),
    /** The keeper: the small supervisor that restarts the agent and the router process. */
    keeperSocket: join(home, 'keeper.sock'),
    keeperPid: join(home, 'keeper.pid'),
    keeperEvents: join(home, 'keeper-events.jsonl'),
    keeperLog: join(home, 'keeper.log'),
  };
}
