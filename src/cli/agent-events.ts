import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../agent/state-file.js';
import { hostName } from '../config/host-schema.js';
import { environmentConfig, hostsOf } from '../executor/run-deployment.js';
import type { Host } from '../hosts/host.js';
import type { Project } from './project.js';

/** Kinds of agent events worth a ledger entry (what happened on a host while nobody was deploying). */
const LEDGERED = new Set([
  'edge.member-unhealthy',
  'edge.member-healthy',
  'target.exited',
  'target.restarted',
  'target.retired',
  'target.adopted',
  'route.error',
  'agent.started',
]);

/** The hosts a command about one environment talks to (its hosts and its edge); every host without one. */
export function hostsToSync(project: Project, environment?: string): Host[] {
  if (environment === undefined) return [...project.hosts.values()];
  const hosts = hostsOf(project, environment);
  const edge = environmentConfig(project.config, environment).edge;
  const edgeHost = edge ? project.hosts.get(hostName(edge.host)) : undefined;
  return edgeHost && !hosts.includes(edgeHost) ? [...hosts, edgeHost] : hosts;
}

/**
 * Copies new events from the agent journals of these hosts (default: all) into the ledger, once each (a cursor
 * per host is kept in the state directory). Hosts whose agent is not running are skipped: nothing there to
 * copy. A command about one environment syncs only that environment's hosts: the others keep their events
 * (and their cursors) for a later sync, and no connection is opened to them.
 */
export async function syncAgentEvents(
  project: Project,
  hosts: readonly Host[] = [...project.hosts.values()],
): Promise<void> {
  const cursorFile = join(project.stateDir, 'agent-cursors.json');
  const reading = readJsonIfExists<Record<string, number>>(cursorFile);
  reading.catch(() => undefined); // a broken file fails the sync below, not as an unhandled rejection
  // Ask every host at once; a host that cannot be reached (or is not set up) keeps its events for the next sync.
  // Each agent client is asked for before anything is awaited, so that a preflight running beside this sync
  // shares the bridge it opens (which starts an agent that is not running, as a deploy would anyway).
  const fetched = await Promise.all(
    hosts.map(async (host) => {
      if (host === project.local && !(await project.local.isAgentRunning()) && !project.local.hasState())
        return null;
      try {
        const agent = await host.agent();
        const cursors = (await reading) ?? {};
        return {
          host: host.name,
          events: (await agent.call('events', { afterSeq: cursors[host.name] ?? 0 })).events,
        };
      } catch {
        return null;
      }
    }),
  );
  const cursors = (await reading) ?? {};
  let changed = false;
  for (const batch of fetched) {
    if (!batch) continue;
    for (const event of batch.events) {
      cursors[batch.host] = event.seq;
      changed = true;
      const app = event.app.replace(/^edge:/, '');
      if (!LEDGERED.has(event.kind) || (app !== project.config.app && app !== '')) continue;
      await project.store.appendEvent({
        atMs: event.atMs,
        actor: `agent@${batch.host}`,
        app: project.config.app,
        environment: null,
        kind: event.kind,
        release: event.release,
        message: event.message,
        data: { host: batch.host, targetId: event.targetId, ...event.data },
      });
    }
  }
  if (changed) await writeJsonAtomic(cursorFile, cursors);
}
