import { resolveRegistry } from '../config/registry-values.js';
import type { CheckRow } from '../hosts/check-host.js';
import type { ControlPlane } from './control-plane.js';

type Results = Array<{ host: string; rows: CheckRow[] }>;

/**
 * `slipway check` on an app whose registry needs a login: each host whose agent runs logs in through its own
 * Docker Engine (so its TLS trust of the registry, /etc/docker/certs.d, is checked too), with the password
 * loaded like any secret of the environment. A row `registry` per host; nothing is stored anywhere.
 */
export async function checkRegistryLogins(
  cp: Pick<ControlPlane, 'config' | 'hosts' | 'loadSecrets'>,
  environment: string,
  results: Results,
): Promise<Results> {
  const runtime = cp.config.runtime;
  if (runtime.kind !== 'docker') return results;
  const registry = resolveRegistry(cp.config.app, runtime.registry);
  if (!registry?.login) return results;
  const { username, passwordSecret } = registry.login;
  const password = (await cp.loadSecrets(environment, [passwordSecret])).get(passwordSecret);
  const rowOf = async (host: string, rows: CheckRow[]): Promise<CheckRow> => {
    if (!password)
      return {
        check: 'registry',
        status: 'fail',
        detail: `the password secret ${passwordSecret} has no value`,
        hint: `set SLIPWAY_SECRET_${passwordSecret}, or give it in the secrets of ${environment} (docs/secrets.md)`,
      };
    const agentRow = rows.find((r) => r.check === 'agent');
    if (agentRow?.status !== 'ok' || !agentRow.detail.includes('running (pid')) {
      return {
        check: 'registry',
        status: 'warn',
        detail: `login to ${registry.server} not checked: the agent does not run`,
        hint: 'slipway setup starts it',
      };
    }
    try {
      const agent = await cp.hosts.get(host)?.agent();
      if (!agent) throw new Error(`host ${host} is not part of this environment`);
      await agent.call('checkRegistryLogin', {
        socket: runtime.socket,
        credentials: { server: registry.server, username, password: password.reveal() },
      });
      return { check: 'registry', status: 'ok', detail: `${username} logs in to ${registry.server}` };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const hint = (err as { hint?: string }).hint;
      return /unknown agent method/.test(message)
        ? {
            check: 'registry',
            status: 'warn',
            detail: 'not checked: the agent is older',
            hint: 'slipway setup upgrades it',
          }
        : { check: 'registry', status: 'fail', detail: message, ...(hint ? { hint } : {}) };
    }
  };
  return Promise.all(results.map(async (r) => ({ ...r, rows: [...r.rows, await rowOf(r.host, r.rows)] })));
}
