import type { Command } from 'commander';
import { formatDurationMs } from '../core/duration.js';
import { environmentConfig } from '../config/environment-config.js';
import { withProject, type GlobalOptions } from './project.js';
import { bold, dim, red } from './progress-renderer.js';

export function registerErrors(program: Command, globals: () => GlobalOptions): void {
  program
    .command('errors')
    .description(
      'errors reported by `slipway monitor`, grouped and counted per release: 5xx, crashes, log patterns',
    )
    .argument('<env>', 'environment name')
    .option('--release <version>', 'only this release')
    .option('--json', 'print as JSON')
    .action(async (env: string, opts: { release?: string; json?: boolean }) => {
      await withProject(globals(), async (project) => {
        environmentConfig(project.config, env);
        const groups = (await project.store.listErrorGroups(project.config.app, env)).filter(
          (g) => !opts.release || g.release === opts.release,
        );
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(groups, null, 2)}\n`);
          return;
        }
        if (groups.length === 0) {
          process.stdout.write(`no errors reported in ${env}${dim(' (collected by slipway monitor)')}\n`);
          return;
        }
        const now = Date.now();
        for (const release of [...new Set(groups.map((g) => g.release))]) {
          process.stdout.write(`${bold(release)}\n`);
          for (const g of groups.filter((x) => x.release === release)) {
            process.stdout.write(
              `  ${red(String(g.count).padStart(6))}  ${g.kind.padEnd(5)} ${g.fingerprint}  ${dim(`last ${formatDurationMs(now - g.lastAtMs)} ago`)}\n`,
            );
            for (const line of describeSample(g.sample)) process.stdout.write(`          ${dim(line)}\n`);
          }
        }
      });
    });
}

/** A few lines of a group's latest sample: the requests, the stderr tail, the matching line. */
function describeSample(sample: unknown): string[] {
  if (Array.isArray(sample))
    return sample
      .slice(-3)
      .map(
        (r: { method?: string; path?: string; status?: number; atMs?: number }) =>
          `${r.method ?? ''} ${r.path ?? ''} → ${r.status ?? ''} at ${r.atMs ? new Date(r.atMs).toISOString() : ''}`,
      );
  if (sample && typeof sample === 'object') {
    const s = sample as { stderrTail?: string; line?: string };
    if (s.stderrTail) return s.stderrTail.split('\n').slice(-5);
    if (s.line) return [s.line];
  }
  return [];
}
