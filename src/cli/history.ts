import type { Command } from 'commander';
import { hostsToSync, syncAgentEventsForReading } from './agent-events.js';
import { printNote } from './status.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim } from './progress-renderer.js';
import { formatHistoryEvent } from './format-history.js';
import { countOption } from './parse-options.js';

export function registerHistory(program: Command, globals: () => GlobalOptions): void {
  program
    .command('history')
    .description('the ledger: who deployed what, where, when, and what happened (newest first)')
    .argument('[env]', 'only this environment')
    .option('-n, --limit <n>', 'how many events', countOption('--limit', 'a number of events', 1), 30)
    .option('--json', 'print as JSON')
    .action(async (env: string | undefined, opts: { limit: number; json?: boolean }) => {
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
    });
}
