import { readMaintenance, setMaintenance } from '../operations/maintenance.js';
import { formatMaintenanceView, printMaintenanceOutcome } from './format-maintenance.js';
import { withProject, type GlobalOptions } from './project.js';

/** `slipway maintenance on <env> [--message …] [--retry-after …]` (declared in shared-verbs.ts). */
export const maintenanceOnHere =
  (globals: () => GlobalOptions) =>
  async (env: string, opts: { message?: string; retryAfter?: string }): Promise<void> => {
    await withProject(globals(), async (project) => {
      const outcome = await setMaintenance(project, env, {
        on: true,
        message: opts.message,
        retryAfter: opts.retryAfter,
      });
      printMaintenanceOutcome(outcome, project.config.healthCheck.path);
    });
  };

/** `slipway maintenance off <env>`. */
export const maintenanceOffHere =
  (globals: () => GlobalOptions) =>
  async (env: string): Promise<void> => {
    await withProject(globals(), async (project) => {
      printMaintenanceOutcome(await setMaintenance(project, env, { on: false }), null);
    });
  };

/** `slipway maintenance status <env> [--json]`: reads only, starts no agent. */
export const maintenanceStatusHere =
  (globals: () => GlobalOptions) =>
  async (env: string, opts: { json?: boolean }): Promise<void> => {
    await withProject(globals(), async (project) => {
      const view = await readMaintenance(project, env);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
        return;
      }
      const lines = formatMaintenanceView(view, Date.now());
      process.stdout.write(`${env}\n${lines.length > 0 ? lines.join('\n') : '  maintenance: off'}\n`);
      for (const e of view.errors) process.stderr.write(`  ${e.host}: ${e.error}\n`);
    });
  };
