import type { Command } from 'commander';
import { environmentConfig } from '../executor/run-deployment.js';
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
        for (const host of project.hosts.values()) {
          const agent = await host.agent();
          const call = agent.stream(
            'logs',
            {
              app: project.config.app,
              lines: Math.max(0, Number(opts.lines) || 50),
              follow: Boolean(opts.follow),
              ...(opts.target ? { targetId: opts.target } : {}),
            },
            (e) => {
              const prefix = dim(`${e.targetId} │`);
              process.stdout.write(`${prefix} ${e.stream === 'err' ? red(e.line) : e.line}\n`);
            },
          );
          if (opts.follow) {
            await new Promise<void>((resolve) => {
              process.once('SIGINT', () => {
                agent.close();
                resolve();
              });
              call.catch(() => resolve());
            });
          } else {
            await call;
          }
        }
      });
    });
}
