import type { Command } from 'commander';
import type { CheckRow } from '../hosts/check-host.js';
import { refuseFailedPreflight, runPreflight } from '../control-plane/preflight.js';
import { checkRegistryLogins } from '../control-plane/registry-preflight.js';
import { withProject, type GlobalOptions } from './project.js';
import { bold, green, red, yellow } from './progress-renderer.js';

export function registerCheck(program: Command, globals: () => GlobalOptions): void {
  program
    .command('check')
    .description(
      'preflight: every host reachable, OS/arch, disk, memory, ports (public, front door), runtime, clock, agent, registry login (a table)',
    )
    .argument('<env>', 'environment name')
    .action(async (env: string) => {
      await withProject(globals(), async (project) => {
        const results = await checkRegistryLogins(
          project,
          env,
          await runPreflight(project, env, { local: true }),
        );
        printPreflight(results);
        refuseFailedPreflight(results);
      });
    });
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
