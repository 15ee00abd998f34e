import type { MaintenanceReadView, MaintenanceOutcomeView } from '../../server/api-types.js';
import { formatMaintenanceView, printMaintenanceOutcome } from '../format-maintenance.js';
import type { ApiClient } from './api-client.js';

type Remote = () => ApiClient;

const path = (env: string): string => `/environments/${encodeURIComponent(env)}/maintenance`;

// `slipway maintenance on|off|status` over the server, with the same output as here; declared in ../shared-verbs.ts.

export const maintenanceOnOnServer =
  (remote: Remote) =>
  async (env: string, opts: { message?: string; retryAfter?: string }): Promise<void> => {
    const outcome = await remote().post<MaintenanceOutcomeView>(path(env), {
      on: true,
      ...(opts.message === undefined ? {} : { message: opts.message }),
      ...(opts.retryAfter === undefined ? {} : { retryAfter: opts.retryAfter }),
    });
    printMaintenanceOutcome(outcome, null);
  };

export const maintenanceOffOnServer =
  (remote: Remote) =>
  async (env: string): Promise<void> => {
    printMaintenanceOutcome(await remote().post<MaintenanceOutcomeView>(path(env), { on: false }), null);
  };

export const maintenanceStatusOnServer =
  (remote: Remote) =>
  async (env: string, opts: { json?: boolean }): Promise<void> => {
    const view = await remote().get<MaintenanceReadView>(path(env));
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
      return;
    }
    const lines = formatMaintenanceView(view, Date.now());
    process.stdout.write(`${env}\n${lines.length > 0 ? lines.join('\n') : '  maintenance: off'}\n`);
    for (const e of view.errors) process.stderr.write(`  ${e.host}: ${e.error}\n`);
  };
