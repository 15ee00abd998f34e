import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../agent/state-file.js';
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

/**
 * Copies new events from each host's agent journal into the ledger, once each (a cursor per host is kept in
 * the state directory). Hosts whose agent is not running are skipped: nothing there to copy.
 */
export async function syncAgentEvents(project: Project): Promise<void> {
  const cursorFile = join(project.stateDir, 'agent-cursors.json');
  const cursors = (await readJsonIfExists<Record<string, number>>(cursorFile)) ?? {};
  // Ask every host at once; a host that cannot be reached (or is not set up) keeps its events for the next sync.
  const fetched = await Promise.all(
    [...project.hosts.values()].map(async (host) => {
      if (host === project.local && !(await project.local.isAgentRunning()) && !project.local.hasState())
        return null;
      try {
        const agent = await host.agent();
        return {
          host: host.name,
          events: (await agent.call('events', { afterSeq: cursors[host.name] ?? 0 })).events,
        };
      } catch {
        return null;
      }
    }),
  );
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
