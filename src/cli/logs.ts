import type { Command } from 'commander';
import { environmentConfig } from '../executor/run-deployment.js';
import { readLogs } from '../operations/read-logs.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim, red } from './progress-renderer.js';

export function registerLogs(program: Command, globals: () => GlobalOptions): void {
  program
    .command('logs')
    .description("print the targets' output (the serving target first); --follow keeps streaming")
    .argument('<env>', 'environment name')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('-n, --lines <n>', 'lines from the end of each log', '50')
    .option('-t, --target <id>', 'only this target')
    .action(async (env: string, opts: { follow?: boolean; lines: string; target?: string }) => {
      await withProject(globals(), async (project) => {
        environmentConfig(project.config, env);
        const print = (e: { targetId: string; stream: 'out' | 'err'; line: string }): void => {
          const prefix = dim(`${e.targetId} │`);
          process.stdout.write(`${prefix} ${e.stream === 'err' ? red(e.line) : e.line}\n`);
        };
        const lines = Math.max(0, Number(opts.lines) || 50);
        if (!opts.follow) {
          await readLogs(
            project.hosts.values(),
            { app: project.config.app, lines, ...(opts.target ? { targetId: opts.target } : {}) },
            print,
          );
          return;
        }
        for (const host of project.hosts.values()) {
          const agent = await host.agent();
          const call = agent.stream(
            'logs',
            {
              app: project.config.app,
              lines,
              follow: true,
              ...(opts.target ? { targetId: opts.target } : {}),
            },
            print,
          );
          await new Promise<void>((resolve) => {
            process.once('SIGINT', () => {
              agent.close();
              resolve();
            });
            call.catch(() => resolve());
          });
        }
      });
    });
}
