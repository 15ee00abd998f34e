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
  let changed = false;
  for (const host of project.hosts.values()) {
    if (host === project.local && !(await project.local.isAgentRunning()) && !project.local.hasState())
      continue;
    const { events } = await (await host.agent()).call('events', { afterSeq: cursors[host.name] ?? 0 });
    for (const event of events) {
      cursors[host.name] = event.seq;
      changed = true;
      const app = event.app.replace(/^edge:/, '');
      if (!LEDGERED.has(event.kind) || (app !== project.config.app && app !== '')) continue;
      await project.store.appendEvent({
        atMs: event.atMs,
        actor: `agent@${host.name}`,
        app: project.config.app,
        environment: null,
        kind: event.kind,
        release: event.release,
        message: event.message,
        data: { host: host.name, targetId: event.targetId, ...event.data },
      });
    }
  }
  if (changed) await writeJsonAtomic(cursorFile, cursors);
}
