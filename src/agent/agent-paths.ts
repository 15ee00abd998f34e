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
  };
}
