import { hostsToSync, syncAgentEventsForReading } from '../control-plane/agent-events.js';
import { printNote } from './status.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim } from './progress-renderer.js';
import { formatHistoryEvent } from './format-history.js';

/** `slipway history [env]` on this machine's project (declared with its options in shared-verbs.ts). */
export const historyHere =
  (globals: () => GlobalOptions) =>
  async (env: string | undefined, opts: { limit: number; json?: boolean }): Promise<void> => {
    await withProject(globals(), async (project) => {
      // An environment no longer in slipway.yml may still have history: then every host is synced.
      const known = env !== undefined && Object.hasOwn(project.config.environments, env);
      await syncAgentEventsForReading(project, hostsToSync(project, known ? env : undefined), printNote);
      const events = await project.store.listEvents({
        app: project.config.app,
        ...(env ? { environment: env } : {}),
        limit: opts.limit,
        // When it happened, not when it reached the store: agents' events are copied in after later ones.
        order: 'time',
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
        return;
      }
      if (events.length === 0) process.stdout.write('no events yet\n');
      for (const e of events) process.stdout.write(formatHistoryEvent(e, dim));
    });
  };
