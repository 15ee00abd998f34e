/**
 * Test-only: a copy of examples/hello configured for a testbed's SSH hosts behind a local edge, and its CLI.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, renderAppSection, runCli, spawnCliProcess, type CliResult } from '../helpers/project.js';
import type { Testbed, TestUser } from '../testbed/testbed.js';

const APP_PORT = 8420;

export interface Fleet {
  dir: string;
  edgePort: number;
  cli(args: string[]): Promise<CliResult>;
  writeConfig(o?: {
    strategy?: string;
    env?: Record<string, string>;
    knownHosts?: string;
    user?: string;
    /** Further keys of the `edge` block, indented by six spaces. */
    edgeExtra?: string;
  }): void;
}

/**
 * `logins` (by host name) makes a host log in as a testbed user, with the agent in that user's directory; every
 * other host logs in as root with the default agentHome.
 */
export function fleetProject(
  testbed: Testbed,
  edgePort: number,
  options: { logins?: Record<string, TestUser> } = {},
): Fleet {
  const dir = mkdtempSync(join(tmpdir(), 'sw-f-'));
  cpSync(join(REPO_ROOT, 'examples', 'hello'), dir, {
    recursive: true,
    filter: (src) => !src.includes('.slipway'),
  });
  const file = join(dir, 'slipway.yml');
  const fleet: Fleet = {
    dir,
    edgePort,
    cli: (args) => runCli(['-c', file, ...args]),
    writeConfig: (o = {}) => {
      const hosts = testbed.hosts
        .map((h) => {
          const login = options.logins?.[h.name];
          const agentHome = login ? `\n        agentHome: ${login.agentHome}` : '';
          return `      - name: ${h.name}\n        address: ${h.address}\n        user: ${o.user ?? login?.login ?? 'root'}\n        identityFile: ${testbed.clientKeyPath}${agentHome}`;
        })
        .join('\n');
      writeFileSync(
        file,
        `${renderAppSection({ ...(o.env ? { env: o.env } : {}), healthStartTimeout: '15s' })}environments:
  production:
    hosts:
${hosts}
    publicPort: ${APP_PORT}
    ssh:
      knownHosts: ${o.knownHosts ?? testbed.knownHostsPath}
      connectTimeout: 3s
    edge:
      host: local
      publicPort: ${edgePort}
      bindAddress: 127.0.0.1
${o.edgeExtra ?? ''}    strategy:
${o.strategy ?? '      kind: rolling\n      batchSize: 1\n      keepWarm: 5m\n      drainTimeout: 5s'}
`,
      );
    },
  };
  fleet.writeConfig();
  return fleet;
}

export function spawnFleetCli(fleet: Fleet, args: string[]) {
  const run = spawnCliProcess(['-c', join(fleet.dir, 'slipway.yml'), ...args]);
  return { ...run, interrupt: () => run.child.kill('SIGINT') };
}
