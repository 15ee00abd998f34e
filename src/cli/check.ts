import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import { DEFAULTS } from '../config/defaults.js';
import { environmentConfig } from '../config/environment-config.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { checkHost, type CheckRow } from '../hosts/check-host.js';
import { SshHost } from '../hosts/ssh-host.js';
import { AGENT_VERSION } from '../agent/version.js';
import { withProject, type GlobalOptions, type Project } from './project.js';
import { bold, green, red, yellow } from './progress-renderer.js';

export function registerCheck(program: Command, globals: () => GlobalOptions): void {
  program
    .command('check')
    .description(
      'preflight: every host reachable, OS/arch, disk, memory, port, runtime, clock, agent (a table)',
    )
    .argument('<env>', 'environment name')
    .action(async (env: string) => {
      await withProject(globals(), async (project) => {
        const results = await runPreflight(project, env);
        printPreflight(results);
        refuseFailedPreflight(results);
      });
    });
}

/** Checks every SSH host of an environment in parallel (the local host needs none). */
export async function runPreflight(
  project: Project,
  env: string,
): Promise<Array<{ host: string; rows: CheckRow[] }>> {
  const config = environmentConfig(project.config, env);
  const ssh = hostsOf(project, env).filter((h): h is SshHost => h instanceof SshHost);
  return Promise.all(
    ssh.map(async (host) => ({
      host: host.name,
      rows: await checkHost(host, {
        publicPort: config.publicPort,
        requiredDiskBytes: DEFAULTS.preflight.requiredDiskBytes,
        minMemoryBytes: DEFAULTS.preflight.minMemoryBytes,
        controlPlaneNowMs: () => Date.now(),
        agentVersion: AGENT_VERSION,
        nodeArch: process.arch,
        environment: env,
      }),
    })),
  );
}

/** Throws when any host failed a check, naming the hosts and the hints. */
export function refuseFailedPreflight(results: Array<{ host: string; rows: CheckRow[] }>): void {
  const failed = results.filter((r) => r.rows.some((row) => row.status === 'fail'));
  if (failed.length === 0) return;
  const hints = [
    ...new Set(
      failed.flatMap((r) => r.rows.flatMap((row) => (row.status === 'fail' && row.hint ? [row.hint] : []))),
    ),
  ];
  throw new SlipwayError(
    `preflight failed on ${failed.map((r) => r.host).join(', ')}: ${failed.flatMap((r) => r.rows.filter((row) => row.status === 'fail').map((row) => `${r.host} ${row.check}: ${row.detail}`)).join('; ')}`,
    hints.length ? { hint: hints.join('; ') } : undefined,
  );
}

export function printPreflight(results: Array<{ host: string; rows: CheckRow[] }>): void {
  for (const { host, rows } of results) {
    process.stdout.write(`${bold(host)}\n`);
    for (const row of rows) {
      const mark = row.status === 'ok' ? green('ok  ') : row.status === 'warn' ? yellow('warn') : red('fail');
      process.stdout.write(
        `  ${mark}  ${row.check.padEnd(10)} ${row.detail}${row.hint && row.status !== 'ok' ? `  (${row.hint})` : ''}\n`,
      );
    }
  }
}
