import { collectStatus } from '../operations/collect-status.js';
import { hostsToSync, syncAgentEventsForReading } from '../control-plane/agent-events.js';
import { printStatus } from './print-status.js';
import { withProject, type GlobalOptions } from './project.js';
import { yellow } from './progress-renderer.js';

/** A note beside the answer (on stderr, so that `--json` stays parseable). */
export function printNote(line: string): void {
  process.stderr.write(`${yellow('note:')} ${line}\n`);
}

/** `slipway status [env]` on this machine's project (declared with its options in shared-verbs.ts). */
export const statusHere =
  (globals: () => GlobalOptions) =>
  async (env: string | undefined, opts: { json?: boolean }): Promise<void> => {
    await withProject(globals(), async (project) => {
      await syncAgentEventsForReading(project, hostsToSync(project, env), printNote);
      const names = env ? [env] : Object.keys(project.config.environments);
      const statuses = [];
      for (const name of names) statuses.push(await collectStatus(project, name));
      if (opts.json) process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
      else for (const s of statuses) printStatus(s);
    });
  };
